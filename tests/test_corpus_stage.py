"""Corpus-level cleaning on a synthetic multi-source corpus: site template lines and syndicated copies."""
from __future__ import annotations

import dataclasses
import json
import random
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from conftest import cli
from newsclean import run
from newsclean.options import Options

VOCAB = ("council budget river bridge school teachers parents vote city mayor market farmers harvest "
         "weather storm rain roads hospital nurses doctors patients museum artists exhibition library "
         "readers police officers station train service delays airport flights company workers factory "
         "wages union talks energy prices households winter heating water supply engineers repairs "
         "park trees residents neighbours festival music evening morning week month year plan report "
         "minister government election candidates campaign voters district county court judge case "
         "study scientists university students research results data figures growth shops owners").split()

FOOTER_A = "The Alpha Ledger is printed and published in Springfield by Alpha Media Group."
FOOTER_B = "Beta Courier: independent journalism from the river valley since 1921."
FOOTER_C = "Gamma Times readers can send their letters to the desk on Harbour Street."
RARE_A = "Alpha Ledger archive pages are updated every Thursday evening."  # in 2 of 8 A docs: kept
SHARED = "Share your views with the Alpha and Beta networks of local readers today."  # 2 docs in each of 3 sources
QUOTE = "\u201cWe will not back down on the water plan,\u201d the minister told reporters on Tuesday."


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(VOCAB) for _ in range(rng.randint(12, 20))]
    return " ".join(words).capitalize() + "."


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng) for _ in range(rng.randint(2, 3)))


def _article(rng: random.Random, paragraphs: int = 5) -> list[str]:
    return [_paragraph(rng) for _ in range(paragraphs)]


def _rows() -> dict[str, list[dict]]:
    """Rows per source file: three outlets, each with its own footer, plus one syndicated story."""
    rng = random.Random(8)
    rows: dict[str, list[dict]] = {"alpha": [], "beta": [], "gamma": []}
    hosts = {"alpha": "www.alpha.example", "beta": "beta.example", "gamma": "gamma.example"}
    footers = {"alpha": FOOTER_A, "beta": FOOTER_B, "gamma": FOOTER_C}
    for site in rows:
        for n in range(8):
            body = _article(rng)
            if site == "alpha" and n < 3:
                body.insert(2, QUOTE)  # 3 of 8 alpha docs: a template by count, but beta has it too
            if site == "beta" and n == 0:
                body.insert(1, QUOTE)
            if site == "alpha" and n in (4, 5):
                body.append(RARE_A)
            if n in (6, 7):
                body.insert(3, SHARED)
            rows[site].append({"id": f"{site}-{n}", "title": f"{site.title()} story number {n}",
                               "url": f"https://{hosts[site]}/news/{n}",
                               "text": "\n\n".join(body + [footers[site]])})
    wire = _article(random.Random(99), paragraphs=8)
    edited = list(wire)
    edited[3] = edited[3].replace(".", ", officials said.", 1)  # a small edit: a near copy
    longer = wire + [_paragraph(random.Random(7))]  # the fullest version: the canonical one
    rows["alpha"].append({"id": "wire-alpha", "title": "Storm closes the river bridge",
                          "url": "https://www.alpha.example/wire/storm", "published": "2024-03-02",
                          "text": "\n\n".join(edited + [FOOTER_A])})
    rows["beta"].append({"id": "wire-beta", "title": "Storm closes the river bridge",
                         "url": "https://beta.example/wire/storm", "published": "2024-03-01",
                         "text": "\n\n".join(longer + [FOOTER_B])})
    rows["gamma"].append({"id": "wire-gamma", "title": "River bridge shut by storm",
                          "url": "https://gamma.example/wire/storm", "published": "2024-03-01",
                          "text": "\n\n".join(longer + [FOOTER_C])})  # the same text once footers go
    return rows


def _write(folder: Path, rows: dict[str, list[dict]], shuffle_lines: int | None = None) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for site, items in rows.items():
        items = list(items)
        if shuffle_lines is not None:
            random.Random(shuffle_lines).shuffle(items)
        path = folder / f"{site}.jsonl"
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in items), encoding="utf-8")
        paths.append(path)
    return paths


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[list[Path], Path]:
    root = tmp_path_factory.mktemp("corpus")
    inputs = _write(root / "in", _rows())
    out = root / "dist"
    run(inputs, out)
    return inputs, out


def _table(out: Path, name: str) -> list[dict]:
    return pq.read_table(out / name).to_pylist()


def _data(out: Path) -> dict[str, dict]:
    return {row["id"]: row for row in _table(out, "data")}


def test_template_lines_removed_within_their_source(corpus):
    inputs, out = corpus
    data = _data(out)
    assert data["alpha-0"]["source"] == "alpha.example"
    for row in data.values():
        paragraphs = row["text"].split("\n\n")
        assert FOOTER_A not in paragraphs and FOOTER_B not in paragraphs and FOOTER_C not in paragraphs
        assert len(row["paragraph_lines"]) == len(paragraphs)
    removals = [r for r in _table(out, "removals") if r["rule"] == "template_line"]
    assert {r["family"] for r in removals} == {"template_line"}
    by_text = {}
    for r in removals:
        by_text.setdefault(r["text"], set()).add(r["id"])
    assert by_text[FOOTER_A] == {f"alpha-{n}" for n in range(8)}
    assert by_text[FOOTER_B] == {f"beta-{n}" for n in range(8)} | {"wire-beta"}
    assert by_text[FOOTER_C] == {f"gamma-{n}" for n in range(8)}  # wire-gamma is folded: not listed
    assert set(by_text) == {FOOTER_A, FOOTER_B, FOOTER_C}
    raw = {}
    for path in inputs:
        for line in path.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            raw[row["id"]] = row["text"].split("\n")
    for r in removals:  # the line number points at the removed line of the input
        assert raw[r["id"]][r["line"] - 1] == r["text"]
        assert data[r["id"]]["removed_lines"] >= 1
    for row_id, row in data.items():  # text-derived columns follow the new text
        assert row["word_count"] == len(row["text"].split())


def test_lines_below_thresholds_or_shared_across_sources_stay(corpus):
    _, out = corpus
    data = _data(out)
    for n in range(3):
        assert QUOTE in data[f"alpha-{n}"]["text"].split("\n\n"), "a wire quote is not a site template"
    assert QUOTE in data["beta-0"]["text"].split("\n\n")
    assert RARE_A in data["alpha-4"]["text"] and RARE_A in data["alpha-5"]["text"]  # 2 documents only
    for site in ("alpha", "beta", "gamma"):  # 6 documents in all, but 2 per source
        assert SHARED in data[f"{site}-6"]["text"] and SHARED in data[f"{site}-7"]["text"]


def test_near_duplicates_published_once_with_their_copies(corpus):
    _, out = corpus
    data = _data(out)
    assert "wire-beta" in data and "wire-alpha" not in data and "wire-gamma" not in data
    canonical = data["wire-beta"]
    assert canonical["duplicate_ids"] == ["wire-alpha", "wire-gamma"]
    assert canonical["duplicate_sources"] == ["alpha.example", "gamma.example"]
    assert canonical["duplicate_urls"] == ["https://www.alpha.example/wire/storm",
                                           "https://gamma.example/wire/storm"]
    others = [row for row in data.values() if row["id"] != "wire-beta"]
    assert all(row["duplicate_ids"] == [] for row in others)
    copies = {row["id"]: row for row in _table(out, "duplicates")}
    assert set(copies) == {"wire-alpha", "wire-gamma"}
    assert copies["wire-gamma"]["kind"] == "exact" and copies["wire-gamma"]["similarity"] == 1.0
    assert copies["wire-alpha"]["kind"] == "near" and 0.8 <= copies["wire-alpha"]["similarity"] < 1.0
    assert {row["canonical_id"] for row in copies.values()} == {"wire-beta"}
    assert len({row["cluster"] for row in copies.values()}) == 1
    assert not any(row["in_corpus"] for row in copies.values())
    removal_ids = {r["id"] for r in _table(out, "removals")}
    assert "wire-alpha" not in removal_ids and "wire-gamma" not in removal_ids


def test_manifest_card_and_croissant_report_the_corpus_stage(corpus):
    _, out = corpus
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    stage = manifest["counts"]["corpus"]
    assert stage["template_lines_by_source"] == {"alpha.example": 8, "beta.example": 9, "gamma.example": 8}
    assert stage["duplicates_folded"] == 2 and stage["duplicate_clusters"] == 1
    assert any(entry["table"] == "duplicates" for entry in manifest["files"])
    card = (out / "README.md").read_text(encoding="utf-8")
    assert "| beta.example | 9 |" in card and "2 copies folded" in card
    assert "path: duplicates/*.parquet" in card
    croissant = json.loads((out / "croissant.json").read_text(encoding="utf-8"))
    assert "duplicates" in {record["name"] for record in croissant["recordSet"]}
    assert cli("validate", str(out)).returncode == 0


def _published_bytes(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes()
            for folder in ("data", "removals", "rejects", "duplicates") for p in sorted((out / folder).glob("*"))}


def test_same_bytes_whatever_the_input_order_and_workers(corpus, tmp_path, monkeypatch):
    inputs, out = corpus
    reference = _published_bytes(out)
    run(list(reversed(inputs)), tmp_path / "reversed", Options(workers=2, batch_docs=5))
    assert _published_bytes(tmp_path / "reversed") == reference
    # workers started from a forkserver (when other Python threads run) instead of forked
    import newsclean.executor as executor
    monkeypatch.setattr(executor, "start_method", lambda: "forkserver")
    run(inputs, tmp_path / "forkserver", Options(workers=2, batch_docs=5))
    assert _published_bytes(tmp_path / "forkserver") == reference
    shuffled = _write(tmp_path / "shuffled", _rows(), shuffle_lines=3)
    run([shuffled[1], shuffled[2], shuffled[0]], tmp_path / "shuffled-out", Options(batch_docs=7))
    # rows read from other lines of a file differ only in their provenance ("file:line")
    for name in ("data", "duplicates"):
        want = pq.read_table(out / name).drop_columns(["provenance"])
        got = pq.read_table(tmp_path / "shuffled-out" / name).drop_columns(["provenance"])
        assert got.equals(want), name


def test_keep_duplicates_publishes_every_near_copy(corpus, tmp_path):
    inputs, _ = corpus
    out = tmp_path / "kept"
    result = cli("run", *map(str, inputs), "--out", str(out), "--keep-duplicates")
    assert result.returncode == 0, result.stderr
    data = _data(out)
    assert "wire-alpha" in data and "wire-beta" in data
    assert "wire-gamma" not in data  # the same text as wire-beta: content_hash stays unique
    assert data["wire-alpha"]["duplicate_ids"] == ["wire-beta", "wire-gamma"]
    copies = {row["id"]: row["in_corpus"] for row in _table(out, "duplicates")}
    assert copies == {"wire-alpha": True, "wire-gamma": False}


def test_switching_the_corpus_stage_off_keeps_template_lines(corpus, tmp_path):
    inputs, _ = corpus
    options = Options()
    corpus_options = dataclasses.replace(
        options.corpus, templates=dataclasses.replace(options.corpus.templates, enabled=False),
        dedup=dataclasses.replace(options.corpus.dedup, near=False))
    run(inputs, tmp_path / "off", dataclasses.replace(options, corpus=corpus_options))
    data = _data(tmp_path / "off")
    assert FOOTER_A in data["alpha-0"]["text"]
    assert "wire-alpha" in data and "wire-beta" in data  # near copies stay apart ...
    assert "wire-gamma" in data  # ... and with its footer kept wire-gamma is no exact copy


def test_the_input_folder_is_no_source(tmp_path, monkeypatch):
    """A folder of pages from many sites (no url, no site name) shares no "template lines": the
    folder's name is not an outlet, and a line its pages repeat stays."""
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "in" / "delta-news"
    folder.mkdir(parents=True)
    rng = random.Random(5)
    shared = "Delta News is a member of the regional press council for the valley."
    for n in range(4):
        (folder / f"d{n}.txt").write_text("\n\n".join(_article(rng) + [shared]) + "\n", encoding="utf-8")
    run([Path("in")], tmp_path / "out")
    data = _data(tmp_path / "out")
    assert {row["source"] for row in data.values()} == {None}
    assert all(shared in row["text"] for row in data.values())


def test_a_url_host_is_a_source(tmp_path):
    rng = random.Random(5)
    footer = "Delta News is a member of the regional press council for the valley."
    rows = [{"id": f"d{n}", "url": f"https://www.delta-news.example/story-{n}",
             "text": "\n\n".join(_article(rng) + [footer])} for n in range(4)]
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    run([tmp_path / "in.jsonl"], tmp_path / "out")
    data = _data(tmp_path / "out")
    assert {row["source"] for row in data.values()} == {"delta-news.example"}
    assert all(footer not in row["text"] for row in data.values())


def test_signatures_from_the_workers_are_those_of_the_texts_after_template_removal(tmp_path):
    """The batch workers sign each row; pass 2 signs again exactly the rows it changed."""
    import hashlib

    import numpy as np
    import pyarrow as pa

    from newsclean.corpus.dedup import sign, with_signatures
    from newsclean.corpus.stage import clean_and_sign
    from newsclean.corpus.templates import TEMPLATE_SCHEMA, line_key
    from newsclean.options import CorpusOptions

    rng = random.Random(3)
    texts = ["\n\n".join(_article(rng, 3) + ([FOOTER_A] if n % 2 else [])) for n in range(6)]
    table = pa.table({
        "id": [f"d{n}" for n in range(6)], "source": ["alpha.example"] * 6, "text": texts,
        "paragraph_lines": [list(range(1, t.count("\n\n") + 2)) for t in texts],
        "word_count": [len(t.split()) for t in texts],
        "content_hash": [hashlib.sha256(t.encode()).hexdigest() for t in texts],
        "removed_lines": [0] * 6})
    options = CorpusOptions()
    signed = with_signatures(table, options.dedup)
    templates = tmp_path / "templates.parquet"
    pq.write_table(pa.table({"source": ["alpha.example"], "line": [line_key(FOOTER_A)], "docs": [3],
                             "source_docs": [6]}, schema=TEMPLATE_SCHEMA), templates)
    stripped, signatures, _, _ = clean_and_sign(signed, templates=str(templates), options=options)
    after = stripped.data["text"].to_pylist()
    assert sum(FOOTER_A in t for t in after) == 0 and stripped.removals.num_rows == 3
    assert "_signature" not in stripped.data.column_names
    assert np.array_equal(signatures, sign(after, options.dedup))
    assert not np.array_equal(signatures, sign(texts, options.dedup))  # the footers were signed before
    # no templates: the workers' signatures are passed through as they are
    _, untouched, _, _ = clean_and_sign(signed, templates=None, options=options)
    assert np.array_equal(untouched, sign(texts, options.dedup))


def test_signing_a_batch_signs_each_text_on_its_own():
    from newsclean.corpus.dedup import sign
    from newsclean.options import DedupOptions

    rng = random.Random(5)
    texts = [" ".join(_article(rng, rng.randint(1, 3))) for _ in range(5)] + ["", "one"]
    together = sign(texts, DedupOptions())
    for i, text in enumerate(texts):
        assert (together[i] == sign([text], DedupOptions())[0]).all()


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=2000, deadline=None)
@given(st.one_of(st.text(), st.text(alphabet=st.characters(max_codepoint=127)),
                 st.lists(st.sampled_from(["\u2019", "\u201c", "\u201d", "\u2014", "\u00a0", "\u00ab", "_", "A", "z",
                                           "9", " ", "\n", "-", "ß", "İ", "é", "\u0301", "ﬁ", "Σ"])
                          | st.text(max_size=4), max_size=25).map("".join)))
def test_words_of_equals_the_regex_definition(text):
    from newsclean.corpus.dedup import WORD, words_of
    from newsclean.folding import NEWS_PUNCTUATION

    assert not any(c.isalnum() or c == "_" or c.casefold() != c for c in NEWS_PUNCTUATION)
    assert words_of(text) == WORD.findall(text.casefold())


def _signed_rows(texts: list[str]):
    import hashlib

    import pyarrow as pa

    from newsclean.corpus.dedup import with_signatures
    from newsclean.options import DedupOptions

    table = pa.table({
        "id": [f"d{n:02d}" for n in range(len(texts))], "source": ["alpha.example"] * len(texts), "text": texts,
        "paragraph_lines": [list(range(1, t.count("\n\n") + 2)) for t in texts],
        "word_count": [len(t.split()) for t in texts],
        "content_hash": [hashlib.sha256(t.encode()).hexdigest() for t in texts],
        "removed_lines": [0] * len(texts), "provenance": ["x"] * len(texts)})
    return with_signatures(table, DedupOptions())


def test_signatures_follow_their_rows_through_chunks_slices_pickling_and_emptied_rows(tmp_path):
    import pickle

    import numpy as np
    import pyarrow as pa

    from newsclean.corpus.dedup import SIGNATURE, sign, signature_matrix
    from newsclean.corpus.stage import clean_and_sign
    from newsclean.corpus.templates import TEMPLATE_SCHEMA, line_key
    from newsclean.options import CorpusOptions

    rng = random.Random(0)
    kinds = [n % 4 for n in range(40)]  # 0: only the footer (emptied), 1: loses the footer, else unchanged
    texts = [FOOTER_A if k == 0 else _paragraph(rng) + "\n\n" + (FOOTER_A if k == 1 else _paragraph(rng))
             for k in kinds]
    signed = _signed_rows(texts)
    chunked = pa.concat_tables([signed.slice(0, 7), signed.slice(7, 13), signed.slice(20)])
    templates = tmp_path / "templates.parquet"
    pq.write_table(pa.table({"source": ["alpha.example"], "line": [line_key(FOOTER_A)], "docs": [10],
                             "source_docs": [40]}, schema=TEMPLATE_SCHEMA), templates)
    options = CorpusOptions()
    for data in (signed, chunked, chunked.slice(5, 23), pickle.loads(pickle.dumps(chunked.slice(9, 17)))):
        assert data[SIGNATURE].num_chunks >= 1
        assert np.array_equal(signature_matrix(data[SIGNATURE], options.dedup),
                              sign(data["text"].to_pylist(), options.dedup))
        for path in (str(templates), None):
            stripped, signatures, _, _ = clean_and_sign(data, templates=path, options=options)
            assert np.array_equal(signatures, sign(stripped.data["text"].to_pylist(), options.dedup))
            if path is not None:
                assert stripped.emptied.num_rows == sum(1 for t in data["text"].to_pylist() if t == FOOTER_A)
                assert SIGNATURE not in stripped.emptied.column_names


def test_rows_signed_otherwise_or_not_at_all_are_signed_again():
    import dataclasses

    import numpy as np

    from newsclean.corpus.dedup import SIGNATURE, sign, signature_matrix, signed_as
    from newsclean.options import DedupOptions

    rng = random.Random(1)
    signed = _signed_rows([_paragraph(rng) for _ in range(5)])
    options = DedupOptions()
    assert signed_as(signed, options) is signed  # the workers' signatures are kept as they are
    other = dataclasses.replace(options, seed=7)
    for data in (signed.drop_columns([SIGNATURE]), signed):
        again = signed_as(data, other)
        assert np.array_equal(signature_matrix(again[SIGNATURE], other), sign(data["text"].to_pylist(), other))


def test_the_builder_and_the_corpus_stage_keep_the_workers_signatures(corpus, tmp_path, monkeypatch):
    """Signing happens once per row, in `process_batch`: nothing downstream signs a row again
    unless its text changed (template lines) -- else the parallel signing would be lost."""
    import newsclean.batch
    import newsclean.corpus.dedup as dedup

    inputs, _ = corpus
    made, original = [], dedup.with_signatures
    monkeypatch.setattr(newsclean.batch, "with_signatures",
                        lambda data, options: made.append(data.num_rows) or original(data, options))
    monkeypatch.setattr(dedup, "with_signatures", lambda *a: pytest.fail("rows signed again"))
    run(inputs, tmp_path / "dist")
    assert sum(made) == 27  # every row published or folded, signed once


def test_repeats_inside_one_batch_are_judged_as_repeats_across_batches(tmp_path):
    """An id given twice: the first is published, the second rejected as a duplicate; two equal
    texts: folded into one row. The batch size must not decide it (both were rejected as
    'schema' when they shared a batch)."""
    rng = random.Random(11)
    story, other = "\n\n".join(_article(rng)), "\n\n".join(_article(rng))
    rows = [{"id": "a", "text": story, "url": "https://alpha.example/1"},
            {"id": "b", "text": story, "url": "https://beta.example/1"},  # the same text: an exact copy
            {"id": "a", "text": other, "url": "https://alpha.example/2"},  # the same id again
            {"id": "c", "text": other, "url": "https://gamma.example/3"}]
    path = tmp_path / "in.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    outputs = []
    for batch_docs in (500, 1, 3):
        out = tmp_path / f"out-{batch_docs}"
        summary = run([path], out, dataclasses.replace(Options(), batch_docs=batch_docs))
        assert (summary.published, summary.rejected_by_reason) == (2, {"duplicate": 1})
        assert {r["id"]: r["duplicate_ids"] for r in _table(out, "data")} == {"a": ["b"], "c": []}
        outputs.append(_published_bytes(out))
    assert outputs[0] == outputs[1] == outputs[2]


def test_pass_4_reading_the_staged_rows_again_publishes_what_pass_2s_copy_would(corpus, tmp_path, monkeypatch):
    """Without template lines to strip, pass 4 reads the sorted runs again (every batch its own
    run here, so the merges interleave) instead of a copy written by pass 2: the published bytes
    (copies folded, canonical rows listing them) are the same."""
    inputs, _ = corpus
    import newsclean.publish.runs as release_runs
    from newsclean.corpus.stage import CorpusStage

    monkeypatch.setattr(release_runs, "SPILL_BYTES", 1)
    options = Options()
    no_templates = dataclasses.replace(options, batch_docs=4, corpus=dataclasses.replace(
        options.corpus, templates=dataclasses.replace(options.corpus.templates, enabled=False)))
    reread = tmp_path / "reread"
    run(inputs, reread, no_templates)
    assert "wire-beta" not in _data(reread)  # footers kept: wire-beta is a near copy of wire-gamma
    assert _data(reread)["wire-gamma"]["duplicate_ids"] == ["wire-beta"]
    copied = []

    def copy_instead(self, templates):
        copied.append(templates)
        return False

    monkeypatch.setattr(CorpusStage, "_rereads", copy_instead)
    run(inputs, tmp_path / "copied", no_templates)
    assert copied == [None]
    assert _published_bytes(tmp_path / "copied") == _published_bytes(reread)


@pytest.mark.parametrize("workers", [1, 2])
def test_many_small_runs_merged_down_publish_the_same_bytes(corpus, tmp_path, monkeypatch, workers):
    """Every batch spilled as its own run, and merges of three runs at most: the data runs are
    merged down before the corpus stage, the side tables' runs beside it (in a forked child with
    two workers); the release is byte for byte the one of a run with a few large runs."""
    import os

    import newsclean.publish.runs as release_runs
    import newsclean.publish.shards as shards

    inputs, _ = corpus
    extra = tmp_path / "chrome.jsonl"  # rows with chrome lines (removals) and broken rows (rejects)
    rng = random.Random(5)
    extra.write_text("".join(
        json.dumps({"id": f"chrome-{n}", "text": "\n\n".join(["[ad_1]", *_article(rng, 3), "Source link"])}) + "\n"
        + ("{not json\n" if n % 2 else "")
        for n in range(12)), encoding="utf-8")
    inputs = [*inputs, extra]
    run(inputs, tmp_path / "reference", Options(workers=workers))

    log = tmp_path / "merges.txt"
    reduce_runs = shards.reduce_runs

    def logged(runs, *args, **kwargs):
        if runs:
            with log.open("a") as handle:  # the child's calls too
                handle.write(f"{os.getpid()} {runs[0].name.split('-')[0]} {len(runs)}\n")
        return reduce_runs(runs, *args, **kwargs)

    monkeypatch.setattr(release_runs, "SPILL_BYTES", 1)
    monkeypatch.setattr(shards, "MAX_MERGE_RUNS", 3)
    monkeypatch.setattr(release_runs, "reduce_runs", logged)
    run(inputs, tmp_path / "small-runs", Options(workers=workers, batch_docs=2))
    merges = [line.split() for line in log.read_text().splitlines()]
    by_kind = {kind: (int(pid), int(runs)) for pid, kind, runs in merges if int(runs) > 3}
    assert set(by_kind) == {"data", "removals", "rejects"}  # each merged down from more than three runs
    assert by_kind["data"][0] == os.getpid()
    assert (by_kind["removals"][0] == os.getpid()) == (workers == 1)
    assert _published_bytes(tmp_path / "small-runs") == _published_bytes(tmp_path / "reference")
