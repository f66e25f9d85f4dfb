"""validate_files: what publishing checks once every batch passed the row checks."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from conftest import rewrite_shard, with_column
from pipeline.publish.validate import validate_files, validate_release, validate_tables

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


AUDIT = ("removals", "rejects", "duplicates")


def _damage_removals(release: Path, update_manifest: bool = True) -> None:
    """Removal line 0 (the schema wants >= 1) in the first removals shard."""
    name = sorted(p for p in (release / "removals").glob("*.parquet"))[0].relative_to(release).as_posix()
    table = pq.read_table(release / name)
    lines = table["line"].to_pylist()
    rewrite_shard(release, name, with_column(table, "line", [0] + lines[1:]), update_manifest=update_manifest)


@pytest.mark.parametrize("damaged", [False, True])
def test_audit_tables_checked_beforehand_give_the_same_report(release, damaged):
    """What publishing sees when the side tables' checks ran where they were written."""
    if damaged:
        _damage_removals(release)
    checked = validate_tables(release, AUDIT)
    assert set(checked) == set(AUDIT)
    whole, split = validate_files(release), validate_files(release, checked=checked)
    assert split.rows == whole.rows and list(split.rows) == list(whole.rows)
    assert split.violations == whole.violations
    assert split.ok is not damaged
    if damaged:
        assert [v.check for v in split.violations] == ["line: greater_than_or_equal_to(1)"]
    with pytest.raises(ValueError):
        validate_tables(release, ["data"])


@pytest.mark.parametrize("workers", [1, 2])
def test_a_side_table_failing_its_checks_fails_the_run_and_keeps_the_release(
        release, workers, monkeypatch):
    """The side tables are checked after they are written, in the process that wrote them (a
    child, with workers): a bad row there stops the swap, and the published folder stays."""
    from pipeline.options import Options
    from pipeline.publish.release import ReleaseBuilder, ReleaseFailed
    from pipeline.run import run

    write = ReleaseBuilder._write_side_tables

    def write_badly(self, dropped):
        side = write(self, dropped)
        _damage_removals(self.staging, update_manifest=False)  # the manifest is not written yet
        return side

    monkeypatch.setattr(ReleaseBuilder, "_write_side_tables", write_badly)
    before = {p.relative_to(release): p.read_bytes() for p in release.rglob("*") if p.is_file()}
    with pytest.raises(ReleaseFailed, match="greater_than_or_equal_to"):
        run([Path(__file__).resolve().parent.parent / "seeds"], release, Options(workers=workers))
    assert {p.relative_to(release): p.read_bytes() for p in release.rglob("*") if p.is_file()} == before
    assert not list(release.parent.glob(f".{release.name}.staging-*"))
