"""validate_files: what publishing checks once every batch passed the row checks."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from conftest import rewrite_shard, with_column
from newsclean.publish.validate import validate_audit_tables, validate_files, validate_release

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
    checked = validate_audit_tables(release, AUDIT)
    assert set(checked) == set(AUDIT)
    whole, split = validate_files(release), validate_files(release, checked=checked)
    assert split.rows == whole.rows and list(split.rows) == list(whole.rows)
    assert split.violations == whole.violations
    assert split.ok is not damaged
    if damaged:
        assert [v.check for v in split.violations] == ["line: greater_than_or_equal_to(1)"]
    with pytest.raises(ValueError):
        validate_audit_tables(release, ["data"])


def test_a_stale_report_is_not_taken(release):
    """A report on other bytes than the manifest lists (the file changed after its check) is set
    aside: the file is checked again, and the damage found."""
    checked = validate_audit_tables(release, AUDIT)
    _damage_removals(release)  # the manifest follows the damaged file, as if written after the check
    assert [v.check for v in validate_files(release, checked=checked).violations] == [
        "line: greater_than_or_equal_to(1)"]


def test_fresh_reports_spare_the_files_a_second_read(release, monkeypatch):
    import newsclean.publish.validate as validate

    checked = validate_audit_tables(release, AUDIT)
    read = []
    original = validate._check_table_files
    monkeypatch.setattr(validate, "_check_table_files", lambda release, kind, *a: (read.append(kind), original(release, kind, *a)))
    assert validate_files(release, checked=checked).ok and read == []
    assert validate_files(release).ok and read == list(AUDIT)


def _run_damaging(release: Path, monkeypatch, workers: int, method: str, pid_file: Path) -> None:
    """Run the seeds into `release` with `method` of ReleaseBuilder wrapped to damage a removal
    row once it returns, and to write the pid it ran in to `pid_file`."""
    from newsclean.options import Options
    from newsclean.publish.release import ReleaseBuilder
    from newsclean.run import run

    original = getattr(ReleaseBuilder, method)

    def damaging(self, dropped):
        side = original(self, dropped)
        _damage_removals(self.staging, update_manifest=False)  # the manifest is not written yet
        pid_file.write_text(str(os.getpid()))
        return side

    monkeypatch.setattr(ReleaseBuilder, method, damaging)
    run([Path(__file__).resolve().parent.parent / "seeds"], release, Options(workers=workers))


@pytest.mark.parametrize("method", ["_write_side_tables", "_write_and_check_side_tables"],
                         ids=["before-the-checks", "after-the-checks"])
@pytest.mark.parametrize("workers", [1, 2])
def test_a_side_table_damaged_before_or_after_its_checks_fails_the_run(release, workers, method, monkeypatch,
                                                                        tmp_path):
    """The side tables are checked where they are written (a child, with workers): a bad row
    there stops the swap; so does a change after the checks (the manifest has the checked
    bytes' checksums). Either way the published folder stays as it was."""
    from newsclean.publish.release import ReleaseFailed

    before = {p.relative_to(release): p.read_bytes() for p in release.rglob("*") if p.is_file()}
    pid_file = tmp_path / "side-pid"
    with pytest.raises(ReleaseFailed, match="greater_than_or_equal_to" if method == "_write_side_tables" else "sha256"):
        _run_damaging(release, monkeypatch, workers, method, pid_file)
    assert (int(pid_file.read_text()) == os.getpid()) is (workers == 1)  # with workers: the child beside
    assert {p.relative_to(release): p.read_bytes() for p in release.rglob("*") if p.is_file()} == before
    assert not list(release.parent.glob(f".{release.name}.staging-*"))
