"""validate_files: what publishing checks once every batch passed the row checks."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from conftest import rewrite_shard, with_column
from pipeline.publish.validate import validate_files, validate_release

SHARD = "data/train-00000-of-00001.parquet"


@pytest.fixture
def release(damageable_release: Path) -> Path:
    return damageable_release


def test_a_published_release_passes_like_the_full_validation(release):
    quick, full = validate_files(release), validate_release(release)
    assert quick.ok and full.ok
    assert quick.rows == full.rows


def test_changed_bytes_fail_on_the_checksum(release):
    with (release / SHARD).open("ab") as handle:
        handle.write(b"\0")
    report = validate_files(release)
    assert not report.ok
    assert any("sha256" in v.check or "size" in v.check for v in report.violations)


def test_rows_are_rechecked_only_when_named(release):
    table = pq.read_table(release / SHARD)
    texts = table["text"].to_pylist()
    texts[0] = texts[0] + " cafÃ© Ã  la carte"  # mojibake the row checks reject
    hashes = [hashlib.sha256(t.encode()).hexdigest() for t in texts]  # hash and count kept right
    words = [len(t.split()) for t in texts]
    for name, values in (("text", texts), ("content_hash", hashes), ("word_count", words)):
        table = with_column(table, name, values)
    rewrite_shard(release, SHARD, table)
    assert validate_files(release).ok  # the row was validated in its batch: not read again
    report = validate_files(release, recheck=[table["id"][0].as_py()])
    assert [v.check for v in report.violations] == ["text: no_mojibake"]
    assert not validate_release(release).ok


def test_repeated_ids_across_shards_fail(release):
    table = pq.read_table(release / SHARD)
    rewrite_shard(release, "data/train-00001-of-00001.parquet", table.slice(0, 1))  # listed too
    checks = [v.check for v in validate_files(release).violations]
    assert "id: unique across shards" in checks and "content_hash: unique across shards" in checks
