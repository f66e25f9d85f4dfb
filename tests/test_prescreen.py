"""split_valid's prescreen (pipeline/publish/prescreen.py) gives exactly pandera's failures."""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import given, settings
from hypothesis import strategies as st

from newsclean.publish.batch_checks import batch_schema, failed_rows, split_valid, to_frame
from newsclean.schemas import Corpus, arrow_schema
from newsclean.schemas.corpus import MARKER_LINES, corpus_schema

DIST = Path(__file__).resolve().parent.parent / "dist" / "data"
LOOSE = pa.schema([f.with_nullable(True) for f in arrow_schema(Corpus)])
BASE = pq.read_table(sorted(DIST.glob("*.parquet"))).cast(LOOSE).to_pylist()


def _set(**values):
    def damage(row: dict, rows: list[dict]) -> None:
        row.update(values)
    return damage


DAMAGES = {
    "none": lambda row, rows: None,
    "empty_title": _set(title=""),
    "null_title": _set(title=None),
    "mojibake": lambda row, rows: row.update(text=row["text"] + " cafÃ© Ã  la"),
    "replacement": lambda row, rows: row.update(text=row["text"] + " \ufffd"),
    "marker": lambda row, rows: row.update(text=row["text"] + "\n\nAdvertisement"),
    "hashtags": lambda row, rows: row.update(text="#one #two\n\n" + row["text"]),
    "bad_language": _set(language="english"),
    "zero_words": _set(word_count=0),
    "negative_removed": _set(removed_lines=-1),
    "bad_url": _set(url="ftp://example.com/x"),
    "good_url": _set(url="https://example.com/x"),
    "bad_offset": _set(published_utc_offset="0200"),
    "bad_from": _set(published_from="guess"),
    "future": _set(published=datetime.now() + timedelta(days=30), published_from="text"),
    "too_early": _set(published=datetime(1980, 1, 1), published_from="text"),
    "early_from_input": _set(published=datetime(1980, 1, 1), published_from="input"),
    "early_null_from": _set(published=datetime(1980, 1, 1), published_from=None),
    "long_id": _set(id="x" * 600),
    "empty_provenance": _set(provenance=""),
    "bad_hash": _set(content_hash="xyz"),
    "same_id_as_first": lambda row, rows: row.update(id=rows[0]["id"]),
    "same_hash_as_first": lambda row, rows: row.update(content_hash=rows[0]["content_hash"]),
}


def reference(table: pa.Table, relaxed: tuple[str, ...]) -> tuple[pa.Table, dict]:
    """split_valid as first written: pandera on the whole batch (with the batch's schema: the
    release-wide uniqueness checks are left to the release)."""
    failures = failed_rows(batch_schema(relaxed), to_frame(table))
    keep = [i for i in range(table.num_rows) if i not in failures]
    return table.take(pa.array(keep, pa.int64())).cast(arrow_schema(Corpus)), failures


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(st.sampled_from(sorted(DAMAGES)), max_size=3), min_size=1, max_size=12),
       st.sets(st.sampled_from(sorted(MARKER_LINES)), max_size=2))
def test_split_valid_equals_pandera_on_the_whole_batch(damage_lists, relaxed):
    rows = []
    for i, names in enumerate(damage_lists):
        row = dict(BASE[i % len(BASE)])
        row["id"], row["content_hash"] = f"{row['id']}-{i}", f"{i:064x}"
        for name in names:
            DAMAGES[name](row, rows or [row])
        rows.append(row)
    table = pa.Table.from_pylist(rows, schema=LOOSE)
    relaxed = tuple(sorted(relaxed))
    data, failures = split_valid(table, relaxed)
    want_data, want_failures = reference(table, relaxed)
    assert failures == want_failures
    assert data.equals(want_data)


def test_clean_batch_never_reaches_pandera(monkeypatch):
    import newsclean.publish.batch_checks as validate

    def fail(*args, **kwargs):
        raise AssertionError("pandera was called on a batch that passes")

    table = pa.Table.from_pylist(BASE, schema=LOOSE)
    split_valid(table)  # first call may register pandera's backends
    monkeypatch.setattr(validate, "failed_rows", fail)
    data, failures = split_valid(table)
    assert failures == {} and data.num_rows == len(BASE)


def test_the_batch_schema_leaves_only_uniqueness_to_the_release():
    whole, batch = corpus_schema(), batch_schema()
    assert [n for n, c in whole.columns.items() if c.unique] == ["id", "content_hash"]
    assert not any(c.unique for c in batch.columns.values())
    for name, column in whole.columns.items():
        assert batch.columns[name].checks == column.checks and batch.columns[name].dtype == column.dtype
