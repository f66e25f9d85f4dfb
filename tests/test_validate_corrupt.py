"""`validate` on a published folder corrupted after the fact, through the real CLI.

Each test rewrites a shard with pyarrow, as a careless tool downstream would, and then fixes the
shard's manifest entry (sha256, bytes, rows) so that only the row checks can catch the damage;
one test leaves the manifest alone to show the checksum failing instead.
"""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import cli, with_column
from conftest import rewrite_shard as rewrite
from newsclean.schemas import Duplicates, arrow_schema

SHARD = "data/train-00000-of-00001.parquet"


@pytest.fixture
def release(damageable_release: Path) -> Path:
    return damageable_release


def invalid_reports(release: Path) -> tuple[str, dict]:
    """The text and JSON reports of `python -m newsclean validate`, both of which must exit 1."""
    with ThreadPoolExecutor(2) as pool:  # two processes at once: half the wait
        text, machine = pool.map(lambda extra: cli("validate", str(release), *extra), [(), ("--format", "json")])
    assert text.returncode == 1, text.stdout + text.stderr
    assert machine.returncode == 1, machine.stdout + machine.stderr
    report = json.loads(machine.stdout)
    assert report["valid"] is False
    return text.stdout, report


def assert_names(text: str, report: dict, row_id: str | None, check: str, file: str = SHARD) -> None:
    """Both reports name the file, the row (when there is one) and the failing check."""
    where = f"{file} row id={row_id}: " if row_id else f"{file}: "
    assert any(line.strip().startswith(where) and check in line for line in text.splitlines()), text
    assert any(v["file"] == file and v["id"] == row_id and check in v["check"]
               for v in report["violations"]), report["violations"]


def test_null_title(release):
    table = pq.read_table(release / SHARD)
    titles = table["title"].to_pylist()
    titles[2] = None
    rewrite(release, SHARD, with_column(table, "title", titles, nullable=True))
    text, report = invalid_reports(release)
    row_id = table["id"][2].as_py()
    assert_names(text, report, row_id, "title: not_nullable")
    assert_names(text, report, None, "title: Arrow field is nullable")


def test_duplicate_id(release):
    table = pq.read_table(release / SHARD)
    ids = table["id"].to_pylist()
    ids[3] = ids[1]
    rewrite(release, SHARD, with_column(table, "id", ids))
    text, report = invalid_reports(release)
    assert_names(text, report, ids[1], "id: field_uniqueness")
    assert [v["id"] for v in report["violations"]] == [ids[1], ids[1]]  # both rows, nothing else


def test_wrong_type_names_the_column_and_the_rows_that_do_not_convert(release):
    table = pq.read_table(release / SHARD)
    counts = [str(n) for n in table["word_count"].to_pylist()]
    counts[4] = "many"
    rewrite(release, SHARD, with_column(table, "word_count", counts, pa.string()))
    text, report = invalid_reports(release)
    assert_names(text, report, None, "word_count: Arrow type string, schemas/ says int64")
    assert_names(text, report, table["id"][4].as_py(), "word_count: value does not convert to int64")
    assert len(report["violations"]) == 2


def test_wrong_type_that_converts_still_gets_its_rows_checked(release):
    table = pq.read_table(release / SHARD)
    dates = [None if d is None else d.isoformat() for d in table["published"].to_pylist()]
    dates[0] = "2199-01-01T00:00:00"
    rewrite(release, SHARD, with_column(table, "published", dates, pa.string()))
    text, report = invalid_reports(release)
    assert_names(text, report, None, "published: Arrow type string, schemas/ says timestamp[us]")
    assert_names(text, report, table["id"][0].as_py(), "row: date_in_range")


def test_future_date(release):
    table = pq.read_table(release / SHARD)
    dates = table["published"].to_pylist()
    dates[1] = datetime(2199, 6, 1, 12, 0)
    rewrite(release, SHARD, with_column(table, "published", dates))
    text, report = invalid_reports(release)
    row_id = table["id"][1].as_py()
    assert_names(text, report, row_id, "row: date_in_range")
    assert "2199-06-01" in next(v["value"] for v in report["violations"] if v["id"] == row_id)
    assert len(report["violations"]) == 1


def test_boilerplate_line_left_in_text(release):
    import hashlib

    table = pq.read_table(release / SHARD)
    texts = table["text"].to_pylist()
    texts[1] += "\n\nSource link"
    texts[3] = "[ad_1]\n\n" + texts[3]
    hashes = [hashlib.sha256(t.encode()).hexdigest() for t in texts]  # as the pipeline would
    words = [len(t.split()) for t in texts]
    table = with_column(with_column(with_column(table, "text", texts), "content_hash", hashes),
                        "word_count", words, pa.int64())
    rewrite(release, SHARD, table)
    text, report = invalid_reports(release)
    for row in (1, 3):
        assert_names(text, report, table["id"][row].as_py(), "text: no_boilerplate_line")
    assert len(report["violations"]) == 2


def test_text_edited_without_its_hash_and_word_count(release):
    """A row whose text changed after cleaning no longer matches its content_hash and word_count."""
    table = pq.read_table(release / SHARD)
    texts = table["text"].to_pylist()
    texts[2] = texts[2].replace(" ", "  ", 1) + " Extra words."
    rewrite(release, SHARD, with_column(table, "text", texts))
    text, report = invalid_reports(release)
    assert_names(text, report, table["id"][2].as_py(), "counts_match_text")
    assert len(report["violations"]) == 1


def test_changed_shard_without_manifest_update_fails_the_checksum(release):
    table = pq.read_table(release / SHARD)
    titles = table["title"].to_pylist()
    titles[0] = titles[0] + " (updated)"  # a change every row check accepts
    rewrite(release, SHARD, with_column(table, "title", titles), update_manifest=False)
    text, report = invalid_reports(release)
    assert_names(text, report, None, "sha256 differs from manifest.json")
    assert all(v["id"] is None for v in report["violations"])  # the rows themselves are valid


def test_id_repeated_in_another_shard(release):
    table = pq.read_table(release / SHARD)
    rewrite(release, "data/train-00001-of-00001.parquet", table.slice(2, 1))
    text, report = invalid_reports(release)
    row_id = table["id"][2].as_py()
    second = "data/train-00001-of-00001.parquet"
    assert_names(text, report, row_id, "id: unique across shards", file=second)
    assert_names(text, report, row_id, "content_hash: unique across shards", file=second)


def test_duplicates_table_is_checked_against_its_model(release):
    row = {"id": "copy_1", "cluster": "not-a-cluster-id", "canonical_id": "000_fa4969b52f2499a1",
           "kind": "copy", "similarity": 1.5, "source": None, "url": None, "in_corpus": False,
           "provenance": "seeds/copy_1.txt"}
    name = next(p.relative_to(release).as_posix() for p in (release / "duplicates").glob("*.parquet"))
    rewrite(release, name, pa.Table.from_pylist([row], schema=arrow_schema(Duplicates)))
    text, report = invalid_reports(release)
    for check in ("cluster: str_matches", "kind: isin", "similarity: less_than_or_equal_to"):
        assert_names(text, report, "copy_1", check, file=name)
