"""JSONL (plain, gzip, zstd) and Parquet through `run`; field names from the options; damage."""
from __future__ import annotations

import gzip
import json
from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import zstandard

from newsclean import run
from newsclean.options import InputOptions, load_options
from newsclean.readers import read_documents

ARTICLES = [
    ("Farmers market moves to the town square",
     "The weekly farmers market will move to the town square from next month, the council said on Monday, "
     "after traders complained about the lack of parking at the old site."),
    ("New cycle lane opens on the high street",
     "A protected cycle lane opened on the high street on Saturday, the first stretch of a network the "
     "county plans to finish by the end of next year."),
    ("School choir wins national competition",
     "The school choir won the national competition in the capital on Sunday, beating forty other schools "
     "with a programme of folk songs arranged by their music teacher."),
    ("Museum reopens after roof repairs",
     "The town museum reopened on Wednesday after eight months of repairs to its roof, which had leaked "
     "onto the collection of maps during the winter storms."),
]


def rows(start: int, count: int) -> list[dict]:
    return [{"id": f"art-{i}", "title": ARTICLES[i][0], "text": ARTICLES[i][1], "author": "Ann Writer",
             "published": "2024-06-0%dT10:00:00+02:00" % (i + 1), "url": f"https://town.example/{i}"}
            for i in range(start, start + count)]


def jsonl(records: list[dict]) -> bytes:
    return "".join(json.dumps(r) + "\n" for r in records).encode("utf-8")


def published(out: Path) -> dict[str, dict]:
    return {row["id"]: row for row in pq.read_table(out / "data").to_pylist()}


def rejects(out: Path) -> list[dict]:
    return pq.read_table(out / "rejects").to_pylist()


def test_jsonl_plain_gzip_zstd_and_parquet_publish_with_their_fields(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.jsonl").write_bytes(jsonl(rows(0, 1)))
    (folder / "b.jsonl.gz").write_bytes(gzip.compress(jsonl(rows(1, 1))))
    (folder / "c.jsonl.zst").write_bytes(zstandard.ZstdCompressor().compress(jsonl(rows(2, 1))))
    table = pa.table({"id": ["art-3"], "title": [ARTICLES[3][0]], "text": [ARTICLES[3][1]],
                      "author": ["Ann Writer"], "url": ["https://town.example/3"],
                      "published": pa.array([datetime(2024, 6, 4, 8, tzinfo=timezone.utc)], pa.timestamp("us", "UTC")),
                      "embedding": [[0.1, 0.2]]})
    pq.write_table(table, folder / "d.parquet")
    summary = run([folder], tmp_path / "out")

    got = published(tmp_path / "out")
    assert set(got) == {"art-0", "art-1", "art-2", "art-3"}
    for i in range(3):
        row = got[f"art-{i}"]
        assert (row["title"], row["text"], row["author"]) == (ARTICLES[i][0], ARTICLES[i][1], "Ann Writer")
        assert row["published"] == datetime(2024, 6, i + 1, 10) and row["published_utc_offset"] == "+02:00"
        assert row["url"] == f"https://town.example/{i}"
    assert got["art-3"]["published"] == datetime(2024, 6, 4, 8) and got["art-3"]["published_utc_offset"] == "+00:00"
    assert got["art-2"]["provenance"].endswith("c.jsonl.zst:1")
    assert summary.rejected == 0


def test_rows_with_html_go_through_extraction_and_their_own_fields_win(tmp_path):
    title, body = ARTICLES[0]
    page = (f"<html><head><title>Page title that loses</title><meta name='author' content='Page Author'>"
            f"</head><body><article><h1>{title}</h1><p>{body}</p><p>{ARTICLES[1][1]}</p></article></body></html>")
    record = {"id": "from-html", "html": page, "title": title, "published": "2024-06-01"}
    (tmp_path / "pages.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    run([tmp_path / "pages.jsonl"], tmp_path / "out")
    row = published(tmp_path / "out")["from-html"]
    assert row["title"] == title  # the row's field, not the page's <title>
    assert row["author"] == "Page Author"  # the row had none: the page's fills the gap
    assert row["text"] == f"{body}\n\n{ARTICLES[1][1]}"
    assert row["published"] == datetime(2024, 6, 1)


def test_field_names_come_from_the_options_and_the_toml_config(tmp_path):
    record = {"doc_id": "x1", "body": ARTICLES[0][1], "headline": ARTICLES[0][0], "date": "2024-06-01",
              "byline": ["Ann Writer", "Bo Reporter"], "link": "https://town.example/x1"}
    (tmp_path / "custom.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    pq.write_table(pa.table({k: [v] for k, v in record.items()}), tmp_path / "custom.parquet")
    config = tmp_path / "options.toml"
    config.write_text('[input]\ntext = "body"\nid = "doc_id"\ntitle = "headline"\npublished = "date"\n'
                      'author = "byline"\nurl = "link"\n', encoding="utf-8")
    options = load_options(config).input
    assert options == InputOptions(text="body", id="doc_id", title="headline", published="date",
                                   author="byline", url="link")
    for name in ("custom.jsonl", "custom.parquet"):
        (doc,) = read_documents([tmp_path / name], options=options)
        assert doc.rejection is None and doc.id == "x1" and doc.raw == ARTICLES[0][1]
        assert doc.given == {"url": "https://town.example/x1", "title": ARTICLES[0][0],
                             "published": "2024-06-01", "author": "Ann Writer, Bo Reporter"}
        (default,) = read_documents([tmp_path / name])  # default names: no 'text' field
        assert default.rejection is not None and default.rejection.reason in ("empty", "no_text_field")


def test_broken_row_files_are_quarantined_while_the_rest_publish(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    good = rows(0, 2)
    (folder / "good.jsonl").write_bytes(jsonl(good[:1]) + b"{not json}\n" + b'"a string"\n'
                                        + jsonl([{"id": "no-text", "title": "x"}]))
    whole = gzip.compress(jsonl(rows(1, 3)))
    (folder / "cut.jsonl.gz").write_bytes(whole[: len(whole) // 2])
    (folder / "bad.jsonl.zst").write_bytes(b"\x28\xb5\x2f\xfd" + b"definitely not zstd frames" * 3)
    (folder / "bad.parquet").write_bytes(b"PAR1 this is no parquet footer")
    pq.write_table(pa.table({"body": ["x"]}), folder / "wrong-columns.parquet")
    run([folder], tmp_path / "out")

    assert "art-0" in published(tmp_path / "out")
    reasons = {(r["provenance"].rsplit("/", 1)[-1], r["reason"]) for r in rejects(tmp_path / "out")}
    assert {("good.jsonl:2", "bad_json"), ("good.jsonl:3", "bad_row"), ("good.jsonl:4", "empty"),
            ("bad.parquet", "unreadable"), ("wrong-columns.parquet", "no_text_field")} <= reasons
    assert any(p.startswith("cut.jsonl.gz:") and r == "unreadable" for p, r in reasons)
    assert any(p.startswith("bad.jsonl.zst:") and r == "unreadable" for p, r in reasons)


def test_deeply_nested_lines_are_bad_json_whatever_the_stack_and_the_workers(tmp_path):
    """Python's JSON decoder fails at a depth that depends on the caller's stack; a line nested
    deeper than MAX_JSON_DEPTH is rejected before decoding, so the output is the same from the
    main process (1 worker), a forked worker, or a deep call stack."""
    import dataclasses

    from newsclean.options import Options
    from newsclean.readers.jsonl import MAX_JSON_DEPTH

    def line(doc_id: str, text: str, depth: int) -> bytes:
        return f'{{"id": "{doc_id}", "text": {json.dumps(text)}, "x": {"[" * depth + "]" * depth}}}'.encode()

    quoted = json.dumps({"id": "quoted", "text": ARTICLES[1][1], "note": "[" * 3000}).encode()
    # the record's own object is one level: n0 nests exactly MAX_JSON_DEPTH deep, n1 one more
    lines = [line("n0", ARTICLES[0][1], MAX_JSON_DEPTH - 1), line("n1", ARTICLES[1][1], MAX_JSON_DEPTH),
             line("n2", ARTICLES[1][1], 990), line("n3", ARTICLES[1][1], 5000), quoted]
    (tmp_path / "deep.jsonl").write_bytes(b"\n".join(lines) + b"\n")

    def outcome(workers: int, stack: int = 0) -> tuple[dict, list[str]]:
        if stack:
            return outcome(workers, stack - 1)
        out = tmp_path / f"out-{workers}-{stack}-{len(list(tmp_path.iterdir()))}"
        run([tmp_path / "deep.jsonl"], out, dataclasses.replace(Options(), workers=workers))
        return {r["id"]: r["reason"] for r in rejects(out)}, sorted(published(out))

    expected = outcome(1)
    # lines 2-4 (ids from the file, as they could not be read): too deep; brackets in a string are text
    assert expected == ({"deep-2": "bad_json", "deep-3": "bad_json", "deep-4": "bad_json"}, ["n0", "quoted"])
    assert outcome(2) == expected
    assert outcome(1, stack=700) == expected
