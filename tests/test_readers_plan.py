"""Planned units (`readers.plan`): a file cut into byte ranges or row groups gives the documents
reading it whole gives, with the same ids, provenance (line and row numbers) and order."""
from __future__ import annotations

import gzip
import random
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from newsclean.options import InputOptions, LimitsOptions
from newsclean.readers import ORDINAL_BITS, read_documents
from newsclean.readers.plan import count_here, line_spans, plan_units, read_unit

# a good line, a blank one, a bad one with CRLF, a blank line of spaces, a good CRLF line, a line
# over the limit, and a last line without its newline
LINES = (b'{"id": "a", "text": "The first article, with words enough to stand."}\n'
         b'\n'
         b'{bad json\r\n'
         b'   \n'
         b'{"id": "b", "text": "The second article, ended by CRLF."}\r\n'
         b'{"id": "big", "text": "' + b"x" * 300 + b'"}\n'
         b'{"text": "The last article, with no id and no newline at the end."}')
LIMITS = LimitsOptions(max_document_bytes=200)


def _seen(docs) -> list[tuple]:
    """What a document is to the run, but its position: id, provenance, record bytes, rejection."""
    return [(d.id, d.provenance, d.row.data if d.row else d.raw, d.rejection) for d in docs]


def _whole(path: Path, limits: LimitsOptions = LimitsOptions()) -> list:
    return list(read_documents([path], decode=False, limits=limits))


def _planned(paths: list[Path], unit_bytes: int, limits: LimitsOptions = LimitsOptions()) -> tuple[list, list]:
    units = plan_units(paths, Counter(), InputOptions(), unit_bytes)
    return units, [doc for unit in units for doc in read_unit(unit, InputOptions(), limits)]


def _assert_same_order(positions: list[int], reference: list[int]) -> None:
    """Planned positions may differ from a whole read's, never in their order (all they decide)."""
    assert len(set(positions)) == len(positions)
    assert sorted(range(len(positions)), key=positions.__getitem__) == sorted(
        range(len(reference)), key=reference.__getitem__)


@pytest.mark.parametrize("unit_bytes", [1, 7, 40, 64, 100, 10_000])
def test_byte_ranges_give_the_documents_of_the_whole_file(tmp_path, unit_bytes):
    path = tmp_path / "news.jsonl"
    path.write_bytes(LINES)
    whole = _whole(path, LIMITS)
    units, planned = _planned([path], unit_bytes, LIMITS)
    assert _seen(planned) == _seen(whole)
    assert [d.provenance for d in whole] == ["news.jsonl:1", "news.jsonl:3", "news.jsonl:5",
                                             "news.jsonl:6", "news.jsonl:7"]
    assert [d.rejection.reason for d in whole if d.rejection] == ["too_large"]
    _assert_same_order([d.position for d in planned], [d.position for d in whole])
    kinds = {piece.kind for unit in units for piece in unit.pieces}
    assert kinds == ({"file"} if unit_bytes >= len(LINES) else {"lines"})
    if unit_bytes < len(LINES):
        pieces = [unit.pieces[0] for unit in units]
        assert pieces[0].start == 0 and pieces[-1].end == len(LINES)
        assert all(a.end == b.start for a, b in zip(pieces, pieces[1:]))
        # each range starts a line, and knows its number
        assert all(p.first == 1 + LINES[:p.start].count(b"\n") for p in pieces)
        assert all(LINES[p.start - 1:p.start] == b"\n" for p in pieces[1:])


def test_a_gzipped_file_is_one_unit_of_the_same_documents(tmp_path):
    path = tmp_path / "news.jsonl.gz"
    path.write_bytes(gzip.compress(LINES))
    units, planned = _planned([path], 1, LIMITS)
    assert [[piece.kind for piece in unit.pieces] for unit in units] == [["file"]]
    whole = _whole(path, LIMITS)
    assert _seen(planned) == _seen(whole) and [d.position for d in planned] == [d.position for d in whole]


def test_line_spans_cover_the_file_at_line_starts():
    rng = random.Random(18)
    for _ in range(300):
        data = bytes(rng.choice(b"ab\n") for _ in range(rng.randrange(1, 60)))
        chunk = rng.randrange(1, 12)
        counted = count_here([(_Bytes(data), at, min(at + chunk, len(data))) for at in range(0, len(data), chunk)])
        spans = line_spans(len(data), chunk, counted)
        assert spans[0][0] == 0 and spans[-1][1] == len(data)
        assert all(a[1] == b[0] for a, b in zip(spans, spans[1:]))
        for start, end, first in spans:
            assert start < end and first == 1 + data[:start].count(b"\n")
            assert start == 0 or data[start - 1:start] == b"\n"


class _Bytes:
    """Bytes in memory with what the planner opens of a remote file."""

    def __init__(self, data: bytes):
        self.data = data

    def open_random_access(self):
        import io

        return io.BytesIO(self.data)


def _parquet(path: Path, rows: int, group_rows: int) -> Path:
    ids = [f"p-{n % 17}" for n in range(rows)]  # ids repeat: positions decide between them
    texts = [f"Article {n}: a short text about the council's budget vote." if n % 11 else "" for n in range(rows)]
    pq.write_table(pa.table({"id": ids, "text": texts}), path, row_group_size=group_rows)
    return path


@pytest.mark.parametrize("unit_bytes", [1, 1_500, 100_000])
def test_row_groups_give_the_documents_of_the_whole_file(tmp_path, unit_bytes):
    path = _parquet(tmp_path / "table.parquet", 95, 10)
    whole = [doc for doc in _whole(path)]
    units, planned = _planned([path], unit_bytes)
    assert _seen(planned) == _seen(whole)
    assert whole[-1].provenance == "table.parquet:95" and any(d.rejection for d in whole)
    _assert_same_order([d.position for d in planned], [d.position for d in whole])
    pieces = [piece for unit in units for piece in unit.pieces]
    if unit_bytes == 1:  # one unit per row group, each with its first row's number
        assert [(p.kind, p.start, p.end, p.first) for p in pieces] == [
            ("row_groups", g, g + 1, 1 + 10 * g) for g in range(10)]
    if unit_bytes == 100_000:
        assert [p.kind for p in pieces] == ["file"]


def test_a_parquet_file_without_a_text_column_is_one_reject(tmp_path):
    path = tmp_path / "odd.parquet"
    pq.write_table(pa.table({"body": ["x"] * 30}), path, row_group_size=5)
    units, planned = _planned([path], 1)
    assert len(units) == 1 and [d.rejection.reason for d in planned] == ["no_text_field"]


def test_the_plan_does_not_depend_on_the_input_order(tmp_path):
    (tmp_path / "pages").mkdir()
    for n in range(5):
        (tmp_path / "pages" / f"{n}.txt").write_text(f"Article number {n}, a few words long.\n")
    (tmp_path / "news.jsonl").write_bytes(LINES)
    _parquet(tmp_path / "table.parquet", 40, 10)
    inputs = [tmp_path / "news.jsonl", tmp_path / "pages", tmp_path / "table.parquet"]
    forward, docs = _planned(inputs, 100)
    backward, _ = _planned(inputs[::-1], 100)
    assert forward == backward
    # small whole files share units; the ranks follow absolute paths, not the order given
    assert any(len(unit.pieces) > 1 for unit in forward)
    assert [d.position >> ORDINAL_BITS for d in docs] == sorted(d.position >> ORDINAL_BITS for d in docs)
    assert _seen(docs) == _seen(read_documents(sorted(inputs), decode=False))


def test_the_driver_counts_no_bytes_when_given_a_counter(tmp_path):
    """`count` receives every chunk: an engine's tasks can do the only reading planning needs."""
    path = tmp_path / "news.jsonl"
    path.write_bytes(LINES)
    asked = []

    def counter(chunks):
        asked.extend(chunks)
        return count_here(chunks)

    units = plan_units([path], Counter(), InputOptions(), 50, counter)
    assert [(start, end) for _, start, end in asked] == [(at, min(at + 50, len(LINES))) for at in range(0, len(LINES), 50)]
    assert len(units) > 1


def test_the_stage_key_does_not_depend_on_the_input_order(tmp_path):
    """A killed run resumes when restarted with its inputs in another order (the plan is the same)."""
    from newsclean.engines.staging import run_key
    from newsclean.options import Options

    for name in ("a.jsonl", "b.jsonl"):
        (tmp_path / name).write_bytes(LINES)
    paths = [tmp_path / "a.jsonl", tmp_path / "b.jsonl"]
    assert run_key(paths, Options(), 100) == run_key(paths[::-1], Options(), 100) != run_key(paths, Options(), 99)


def test_a_unit_cleaned_in_batches_is_one_result_of_its_rows(tmp_path):
    """`process_unit`: the batches' tables concatenated, count rows pointing at their data rows,
    and the unit's read documents counted (the input fingerprint's part)."""
    import dataclasses
    import json

    from newsclean.batch import process_batch, process_unit
    from newsclean.corpus.templates import ROW
    from newsclean.options import Options

    texts = [f"Site chrome line\n\nStory {n} tells of the council's vote on the budget for the year." for n in range(7)]
    path = tmp_path / "news.jsonl"
    path.write_text("".join(json.dumps({"id": f"n{n}", "url": f"https://a.example/{n}", "text": t}) + "\n"
                            for n, t in enumerate(texts)), encoding="utf-8")
    options = dataclasses.replace(Options(), batch_docs=3)
    [unit] = plan_units([path], Counter(), options.input, 10_000)
    got = process_unit(unit, options)
    whole = process_batch(_whole(path), options)
    assert got.read.documents == 7 and got.batch.data.num_rows == whole.data.num_rows == 7
    assert got.batch.data.drop_columns(["_position"]).equals(whole.data.drop_columns(["_position"]))
    for kind in ("docs", "lines"):
        assert getattr(got.batch.line_counts, kind).equals(getattr(whole.line_counts, kind))
    assert got.batch.line_counts.docs[ROW].to_pylist() == list(range(7))


def test_a_unit_whose_file_is_missing_where_it_is_read_fails_the_run(tmp_path):
    """A cluster node without the driver's files must not reject every document as unreadable."""
    path = tmp_path / "news.jsonl"
    path.write_bytes(LINES)
    units = plan_units([path], Counter(), InputOptions(), 100)
    path.unlink()
    with pytest.raises(FileNotFoundError, match="news.jsonl is not at .* where its unit is read"):
        list(read_unit(units[0], InputOptions()))
