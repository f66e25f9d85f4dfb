"""Properties of every reader on arbitrary and damaged files (hypothesis, through `run`): the run
never raises, and every record read is published, quarantined or folded as a copy; a record
the damage did not touch is published. Examples are derandomized (conftest.py's profile)."""
from __future__ import annotations

import io
import json
import shutil

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newsclean import run
from newsclean.readers.jsonl import Lines
from test_safety_readers import numbered, published

RUNS = settings(max_examples=25, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


def run_one(tmp_path, name: str, data: bytes):
    """`run` over one input file holding `data`, in a fresh folder; (summary, output folder)."""
    folder, out = tmp_path / "in", tmp_path / "out"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    folder.mkdir()
    (folder / name).write_bytes(data)
    summary = run([folder], out)
    folded = summary.corpus.counts()["duplicates_folded"]
    assert summary.read == summary.published + summary.rejected + folded
    return summary, out


# Bytes that look like text: UTF-8 with stray bytes, surrogates written by JSON, long lines.
texty = st.one_of(
    st.binary(max_size=600),
    st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.builds(lambda a, b, c: a.encode() + b + c.encode(), st.text(max_size=200),
              st.binary(max_size=4), st.text(max_size=200)),
)


@RUNS
@given(texty)
@example(b"caf\xe9 \xed\xa0\x80 \xff\xfe" + "Home » World".encode() * 3)
def test_any_bytes_in_a_text_file(tmp_path, data):
    summary, _ = run_one(tmp_path, "doc.txt", data)
    assert summary.read == 1


@RUNS
@given(texty)
def test_any_bytes_in_an_html_file(tmp_path, data):
    summary, _ = run_one(tmp_path, "page.html", b"<html><body><p>" + data)
    assert summary.read == 1


json_value = st.one_of(st.text(max_size=40), st.integers(), st.none(),
                       st.lists(st.text(max_size=10), max_size=3))
json_line = st.one_of(
    st.builds(lambda t, extra: json.dumps({"text": t, **extra}),
              st.text(max_size=200), st.dictionaries(st.sampled_from(["id", "url", "title", "author", "published"]),
                                                     json_value, max_size=3)).map(str.encode),
    st.binary(max_size=80),
    st.just(b'{"id": "s\\ud800", "text": "x\\udfff y", "url": "\\ud83d"}'),
)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from([b"", b" ", b"\t\r", b"{}", b"ab", b" x ", b"\x0c", b"long line!"]), max_size=12),
       st.integers(1, 7), st.integers(1, 12))
def test_lines_cut_in_chunks_are_the_lines_of_the_file(pieces, chunk, limit):
    """Whatever the chunk boundaries: every non-blank line once, with its number; a line over the
    limit as None."""
    data = b"\n".join(pieces)
    stream = io.BytesIO(data)
    got = list(Lines(lambda size: stream.read(min(size, chunk)), limit))
    expected = [(n, line.lstrip() if len(line.lstrip()) <= limit else None)
                for n, line in enumerate(data.split(b"\n"), start=1) if line.strip()]
    assert got == expected


@RUNS
@given(st.lists(json_line, max_size=6))
def test_any_lines_in_a_jsonl_file(tmp_path, lines):
    data = b"\n".join(lines)
    summary, _ = run_one(tmp_path, "rows.jsonl", data)
    assert summary.read == sum(1 for line in data.split(b"\n") if line.strip())


def warc_of(count: int, gzipped: bool = False) -> tuple[bytes, list[tuple[str, int, int]]]:
    """`count` HTML responses, each its own story; (record id, start, end) of each (in a .gz,
    each record is its own gzip member). Ids and dates are fixed: the same bytes on every run, so
    that a damage hypothesis found can be replayed."""
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=gzipped)
    spans = []
    for i in range(count):
        body = "".join(f"<p>{p}</p>" for p in numbered(200 + i).split("\n\n")[1:])
        record = writer.create_warc_record(
            f"https://news.example/{i}", "response",
            payload=io.BytesIO(f"<html><body><article><h1>Story {i}</h1>{body}</article></body></html>".encode()),
            http_headers=StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1"),
            warc_headers_dict={"WARC-Record-ID": f"<urn:uuid:00000000-0000-4000-8000-{i:012d}>",
                               "WARC-Date": f"2024-05-0{i + 1}T12:00:00Z"})
        start = out.tell()
        writer.write_record(record)
        spans.append((record.rec_headers.get_header("WARC-Record-ID")[10:-1], start, out.tell()))
    return out.getvalue(), spans


WARC, SPANS = warc_of(3)
WARC_GZ, SPANS_GZ = warc_of(3, gzipped=True)


@RUNS
@given(st.sampled_from(["truncate", "overwrite", "insert"]), st.integers(0, len(WARC)),
       st.binary(min_size=1, max_size=40))
@example("overwrite", SPANS[1][1] + 30, b"\x00" * 8)  # inside record 2's header
@example("insert", SPANS[1][1], b"junk")  # glued to record 2's "WARC/1.0"
@example("truncate", SPANS[2][2] - 10, b"x")
def test_a_damaged_warc_loses_only_the_records_it_touches(tmp_path, how, at, junk):
    if how == "truncate":
        data, after = WARC[:at], len(WARC) + 1  # nothing after the cut is left
    elif how == "overwrite":
        data, after = WARC[:at] + junk + WARC[at + len(junk):], at + len(junk)
    else:
        data, after = WARC[:at] + junk + WARC[at:], at
    summary, out = run_one(tmp_path, "crawl.warc", data)
    intact = {uuid for uuid, start, end in SPANS if end <= at or start >= after}
    assert intact <= set(published(out))


@RUNS
@given(st.sampled_from(["truncate", "overwrite", "insert"]), st.integers(0, len(WARC_GZ)),
       st.binary(min_size=1, max_size=40))
@example("insert", SPANS_GZ[1][1], b"junk")
@example("overwrite", SPANS_GZ[1][1] + 40, b"\xff" * 20)  # inside record 2's deflate stream
@example("overwrite", SPANS_GZ[1][1] + 3, b"\x04")  # record 2's header flags an extra field: it runs into record 3
def test_a_damaged_warc_gz_loses_only_the_members_it_touches(tmp_path, how, at, junk):
    if how == "truncate":
        data, after = WARC_GZ[:at], len(WARC_GZ) + 1
    elif how == "overwrite":
        data, after = WARC_GZ[:at] + junk + WARC_GZ[at + len(junk):], at + len(junk)
    else:
        data, after = WARC_GZ[:at] + junk + WARC_GZ[at:], at
    summary, out = run_one(tmp_path, "crawl.warc.gz", data)
    intact = {uuid for uuid, start, end in SPANS_GZ if end <= at or start >= after}
    assert intact <= set(published(out))


@RUNS
@given(st.binary(max_size=300))
def test_any_bytes_in_a_warc(tmp_path, data):
    summary, _ = run_one(tmp_path, "crawl.warc", b"WARC/1.0\r\n" + data)
    assert summary.read >= 1


def parquet_of(rows: int) -> bytes:
    sink = io.BytesIO()
    table = pa.Table.from_pylist([{"id": f"row{i}", "text": numbered(300 + i)} for i in range(rows)])
    pq.write_table(table, sink, row_group_size=3, compression="zstd")
    return sink.getvalue()


PARQUET = parquet_of(9)
FOOTER = len(PARQUET) - 8 - int.from_bytes(PARQUET[-8:-4], "little")  # where the footer starts


@RUNS
@given(st.integers(0, len(PARQUET) - 1), st.binary(min_size=1, max_size=32))
@example(4, b"\xff" * 32)  # the first page's header
def test_a_damaged_parquet_accounts_for_every_row(tmp_path, at, junk):
    data = PARQUET[:at] + junk + PARQUET[at + len(junk):]
    summary, _ = run_one(tmp_path, "rows.parquet", data[:len(PARQUET)])
    assert summary.read >= 1
    if at + len(junk) <= FOOTER and at >= 4:  # pages damaged, footer whole: every row accounted for
        assert summary.read == 9


@RUNS
@given(st.binary(max_size=300))
def test_any_bytes_in_a_parquet_file(tmp_path, data):
    summary, _ = run_one(tmp_path, "rows.parquet", b"PAR1" + data + b"PAR1")
    assert summary.read == 1 and summary.rejected == 1
