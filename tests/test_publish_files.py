"""validate_files: what publishing checks once every batch passed the row checks."""
from __future__ import annotations

import hashlib

import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from pipeline.publish.validate import sha256_file, validate_files, validate_release

SHARD = "data/train-00000-of-00001.parquet"


@pytest.fixture
def release(seeds_release: Path, tmp_path: Path) -> Path:
    out = tmp_path / "dist"
    shutil.copytree(seeds_release, out)
    return out


def rewrite(release: Path, name: str, table: pa.Table) -> None:
    """Write `table` as shard `name` and list it in the manifest with its sha256, bytes and rows."""
    path = release / name
    pq.write_table(table, path, compression="zstd")
    manifest = json.loads((release / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["files"]:
        if entry["path"] == name:
            entry.update(sha256=sha256_file(path), bytes=path.stat().st_size, rows=table.num_rows)
    (release / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


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
    for name, values, type_ in (("text", texts, pa.string()), ("content_hash", hashes, pa.string()),
                                ("word_count", words, pa.int64())):
        table = table.set_column(table.schema.get_field_index(name), table.schema.field(name),
                                 pa.array(values, type_))
    rewrite(release, SHARD, table)
    assert validate_files(release).ok  # the row was validated in its batch: not read again
    report = validate_files(release, recheck=[table["id"][0].as_py()])
    assert [v.check for v in report.violations] == ["text: no_mojibake"]
    assert not validate_release(release).ok


def test_repeated_ids_across_shards_fail(release):
    table = pq.read_table(release / SHARD)
    second = "data/train-00001-of-00001.parquet"
    pq.write_table(table.slice(0, 1), release / second)
    manifest = json.loads((release / "manifest.json").read_text(encoding="utf-8"))
    path = release / second
    manifest["files"].append({"path": second, "table": "data", "rows": 1, "bytes": path.stat().st_size,
                              "sha256": sha256_file(path)})
    (release / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    checks = [v.check for v in validate_files(release).violations]
    assert "id: unique across shards" in checks and "content_hash: unique across shards" in checks
