"""Publishing in bounded memory (issue 6) gives the answers of the obvious in-memory code.

The validator's cross-shard uniqueness keeps 64-bit hashes instead of every value, and checks
rows a slice at a time; the references below are the earlier whole-file, set-of-strings code,
kept here verbatim in substance, and every report must match theirs: same violations, same order.
"""
from __future__ import annotations

import hashlib
import random
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from conftest import restate_sums, rewrite_shard, with_column
from newsclean.corpus.templates import FAMILY as TEMPLATE_FAMILY
from newsclean.publish import croissant, row_checks, validate
from newsclean.publish import unique as unique_keys
from newsclean.publish.release import ReleaseBuilder
from newsclean.publish.row_checks import _check_rows, conform
from newsclean.publish.validate import (TABLES, AcrossShards, Report, _open, schema_differences, validate_files,
                                       validate_release)
from newsclean.schemas import Corpus, arrow_schema
from newsclean.schemas.corpus import corpus_schema

SHARD = "data/train-00000-of-00001.parquet"


# --- the references: whole files, Python sets of every value ----------------------------------

def _reference_table_files(release, kind, model, report, seen, relaxed):
    expected = arrow_schema(model)
    report.rows[kind] = 0
    for name in release.files(kind, ".parquet"):
        try:
            table = release.read_table(name)
        except (OSError, pa.ArrowInvalid) as exc:
            report.add(name, f"unreadable Parquet file: {exc}")
            continue
        report.rows[kind] += table.num_rows
        problems, castable = schema_differences(table.schema, expected)
        for problem in problems:
            report.add(name, problem)
        if not castable:
            continue
        table, unconvertible = conform(table, expected)
        for column, positions in unconvertible.items():
            if len(positions) < table.num_rows:
                for position in positions:
                    report.add(name, f"{column}: value does not convert to {expected.field(column).type}",
                               row_checks._row_id(table, position), table[column][position].as_py())
        if unconvertible:
            continue
        _check_rows(name, table, corpus_schema(relaxed) if model is Corpus else model.to_schema(), report)
        if kind == "data":
            for column in ("id", "content_hash"):
                column_seen = seen.setdefault(column, set())
                values = table[column].to_pylist()
                for value, row_id in zip(values, table["id"].to_pylist()):
                    if value in column_seen:
                        report.add(name, f"{column}: unique across shards", row_id, value)
                column_seen.update(values)


def reference_validate_release(directory) -> Report:
    release, report, relaxed = _open(directory, None)
    if release is None:
        return report
    seen: dict = {}
    for kind, model in TABLES.items():
        _reference_table_files(release, kind, model, report, seen, relaxed)
    return report


def reference_validate_files(directory, recheck=None) -> Report:
    release, report, relaxed = _open(directory, None)
    if release is None:
        return report
    seen: dict = {}
    for kind, model in TABLES.items():
        if kind != "data":
            _reference_table_files(release, kind, model, report, seen, relaxed)
            continue
        expected, wanted = arrow_schema(model), set(recheck or ())
        report.rows[kind] = 0
        for name in release.files(kind, ".parquet"):
            try:
                with release.fs.open_input_file(release.path(name)) as handle:
                    shard = pq.ParquetFile(handle)
                    problems, _ = schema_differences(shard.schema_arrow, expected)
                    report.rows[kind] += shard.metadata.num_rows
                    for problem in problems:
                        report.add(name, problem)
                    if problems:
                        continue
                    keys = shard.read(columns=["id", "content_hash"])
                    ids = keys["id"].to_pylist()
                    for column in ("id", "content_hash"):
                        values = keys[column].to_pylist()
                        column_seen = seen.setdefault(column, set())
                        for value, row_id in zip(values, ids):
                            if value in column_seen:
                                report.add(name, f"{column}: unique across shards", row_id, value)
                            column_seen.add(value)
                    positions = [i for i, row_id in enumerate(ids) if row_id in wanted]
                    if positions:
                        table = shard.read().take(pa.array(positions, pa.int64()))
                        table, _ = conform(table, expected)
                        _check_rows(name, table, corpus_schema(relaxed), report)
            except (OSError, pa.ArrowInvalid) as exc:
                report.add(name, f"unreadable Parquet file: {exc}")
    return report


def _same(report: Report, reference: Report) -> None:
    assert report.rows == reference.rows
    assert report.violations == reference.violations
    assert report.to_text() == reference.to_text()


# --- releases to check ---------------------------------------------------------------------------

@pytest.fixture(params=["keys in memory", "keys spilled"])
def tiny_slices(monkeypatch, request):
    """Slices, batches and key batches of a row or two: every bounded path has many pieces; the
    text hashes' keys sorted in memory, or spilled to files of a few keys each."""
    monkeypatch.setattr(row_checks, "SLICE_BYTES", 1)
    monkeypatch.setattr(validate, "READ_ROWS", 2)
    monkeypatch.setattr(unique_keys, "KEY_ROWS", 2)
    if request.param == "keys spilled":
        monkeypatch.setattr(unique_keys, "BUCKET_BYTES", 16)
        monkeypatch.setattr(unique_keys, "SPILL_KEYS", 3)


def _write(release: Path, name: str, table: pa.Table) -> None:
    """`rewrite_shard`, with row groups of two rows (many row groups per file)."""
    rewrite_shard(release, name, table)
    pq.write_table(table, release / name, compression="zstd", row_group_size=2)
    rewrite_shard_entry(release, name, table)


def rewrite_shard_entry(release: Path, name: str, table: pa.Table) -> None:
    import json

    from newsclean.publish.validate import sha256_file
    manifest_path = release / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    entry = next(e for e in manifest["files"] if e["path"] == name)
    path = release / name
    entry.update(rows=table.num_rows, bytes=path.stat().st_size, sha256=sha256_file(path))
    restate_sums(release, manifest)
    manifest_path.write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def _split(release: Path, table: pa.Table, parts: int) -> list[str]:
    """The corpus as `parts` shards (the first one replaces the original shard)."""
    (release / SHARD).unlink()
    names = []
    bounds = np.linspace(0, table.num_rows, parts + 1).astype(int)
    for k in range(parts):
        name = f"data/train-{k:05d}-of-{parts:05d}.parquet"
        rewrite_shard(release, name, table.slice(bounds[k], bounds[k + 1] - bounds[k]))
        _write(release, name, table.slice(bounds[k], bounds[k + 1] - bounds[k]))
        names.append(name)
    import json
    manifest_path = release / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["files"] = [e for e in manifest["files"] if e["path"] != SHARD]
    restate_sums(release, manifest)
    manifest_path.write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return names


def _removals_name(release: Path) -> str:
    return next(p for p in (release / "removals").glob("*.parquet")).relative_to(release).as_posix()


@pytest.fixture
def release(damageable_release: Path) -> Path:
    return damageable_release


def test_a_clean_release_gives_the_reference_reports(release, tiny_slices):
    table = pq.read_table(release / SHARD)
    _split(release, table, 2)
    removals = _removals_name(release)
    _write(release, removals, pq.read_table(release / removals))
    ids = table["id"].to_pylist()
    _same(validate_release(release), reference_validate_release(release))
    for recheck in (None, [], ids[:2], ids, ids[::2] + ["not-an-id"]):
        _same(validate_files(release, recheck=recheck), reference_validate_files(release, recheck))
    assert validate_files(release, recheck=pa.array(ids)).violations == []


def test_damaged_rows_and_repeats_give_the_reference_reports(release, tiny_slices):
    table = pq.read_table(release / SHARD)
    texts = table["text"].to_pylist()
    texts[1] = texts[1] + " cafÃ© Ã  la carte"  # mojibake: fails no_mojibake
    texts[3] = texts[3] + "\n\nAdvertisement"  # a boilerplate line
    hashes = [hashlib.sha256(t.encode()).hexdigest() for t in texts]
    words = [len(t.split()) for t in texts]
    for name, values in (("text", texts), ("content_hash", hashes), ("word_count", words)):
        table = with_column(table, name, values)
    ids = table["id"].to_pylist()
    ids[4] = ids[0]  # an id twice (in two shards once split)
    table = with_column(table, "id", ids)
    hashes[2] = hashes[1]  # a content hash twice, in one shard
    table = with_column(table, "content_hash", hashes)
    _split(release, table, 2)
    removals = _removals_name(release)
    cut = pq.read_table(release / removals)
    lines = cut["line"].to_pylist()
    lines[3] = 0  # fails line >= 1
    lines[-1] = -2
    _write(release, removals, with_column(cut, "line", lines))
    full = validate_release(release)
    assert not full.ok
    _same(full, reference_validate_release(release))
    for recheck in (None, ids[:1], ids[1:4], ids, [ids[3], ids[2]]):
        report = validate_files(release, recheck=recheck)
        _same(report, reference_validate_files(release, recheck))
    checks = {v.check for v in validate_files(release, recheck=ids).violations}
    assert {"id: unique across shards", "content_hash: unique across shards", "line: greater_than_or_equal_to(1)",
            "text: no_mojibake"} <= checks


def test_unreadable_and_mistyped_files_give_the_reference_reports(release, tiny_slices):
    removals = _removals_name(release)
    cut = pq.read_table(release / removals)
    _write(release, removals, with_column(cut, "line", [str(n) for n in cut["line"].to_pylist()], pa.string()))
    (release / "rejects" / "rejects-00000-of-00001.parquet").write_bytes(b"PAR1 not really")
    _same(validate_release(release), reference_validate_release(release))
    _same(validate_files(release), reference_validate_files(release))


class _WeakKeys:
    """A 64-bit 'hash' with few values: most keys repeat, so the exact test does the work."""

    def __call__(self, values):
        return np.array([len(v or "") % 3 for v in values.cast(pa.string()).to_pylist()], np.uint64)


@pytest.mark.parametrize("within", [True, False])
def test_across_shards_matches_sets_of_every_value(monkeypatch, within):
    rng = random.Random(7)
    shards = []
    for _ in range(6):
        ids = [f"doc-{rng.randrange(40)}" for _ in range(rng.randrange(0, 12))]
        hashes = [f"{rng.randrange(25):064x}" for _ in ids]
        shards.append(pa.table({"id": pa.array(ids, pa.string()), "content_hash": pa.array(hashes, pa.string())}))

    def reference() -> list:
        report, seen = Report("r"), {"id": set(), "content_hash": set()}
        for k, table in enumerate(shards):
            for column in ("id", "content_hash"):
                values, ids = table[column].to_pylist(), table["id"].to_pylist()
                for value, row_id in zip(values, ids):
                    if value in seen[column]:
                        report.add(f"s{k}", f"{column}: unique across shards", row_id, value)
                    if within:
                        seen[column].add(value)
                if not within:
                    seen[column].update(values)
        return report.violations

    def bounded(keys=None, exact_everywhere=False) -> list:
        if keys is not None:
            monkeypatch.setattr(unique_keys, "value_keys", keys)
        unique = AcrossShards(None, [], within=within)
        if not exact_everywhere:  # what the pre-scan of the files would have found
            every = np.sort(np.concatenate([unique_keys.value_keys(t[c]) for t in shards for c in ("id",)]))
            unique.repeated = {}
            for column in ("id", "content_hash"):
                every = np.sort(np.concatenate([unique_keys.value_keys(t[column]) for t in shards]))
                unique.repeated[column] = np.unique(every[1:][every[1:] == every[:-1]])
        report = Report("r")
        for k, table in enumerate(shards):
            unique.check(f"s{k}", table, report)
        return report.violations

    expected = reference()
    assert expected  # the draw has repeats
    assert bounded() == expected
    assert bounded(exact_everywhere=True) == expected
    assert bounded(keys=_WeakKeys()) == expected


def test_across_shards_keeps_hashes_not_strings(release, tiny_slices):
    table = pq.read_table(release / SHARD)
    names = _split(release, table, 3)
    release_obj, _, _ = _open(release, None)
    unique = AcrossShards(release_obj, names, within=True)
    assert unique.repeated is not None
    assert all(len(keys) == 0 and keys.dtype == np.uint64 for keys in unique.repeated.values())
    report = Report("r")
    for name in names:
        unique.check(name, pq.read_table(release / name), report)
    assert report.ok and unique.seen == {"id": set(), "content_hash": set()}  # no string kept


def test_rewritten_ids_match_a_set(tmp_path):
    folder = tmp_path / "removals"
    folder.mkdir()
    rng = random.Random(5)
    expected = set()
    for k in range(3):
        rows = []
        for _ in range(200):
            doc, family = f"doc-{rng.randrange(150):04d}", rng.choice([TEMPLATE_FAMILY, "credit", "byline"])
            rows.append({"id": doc, "family": family})
            if family == TEMPLATE_FAMILY:
                expected.add(doc)
        pq.write_table(pa.Table.from_pylist(rows), folder / f"removals-{k:05d}-of-00003.parquet")
    builder = ReleaseBuilder.__new__(ReleaseBuilder)
    builder.staging = tmp_path
    ids = builder._rewritten_ids()
    assert isinstance(ids, pa.Array) and ids.to_pylist() == sorted(expected)
    empty = tmp_path / "empty"
    (empty / "removals").mkdir(parents=True)
    builder.staging = empty
    assert builder._rewritten_ids().to_pylist() == []


def test_newest_article_date_matches_the_whole_column(release):
    table = pq.read_table(release / SHARD)
    expected = pc.max(table["published"]).as_py()
    assert croissant.newest_article_date(release) == (expected.date().isoformat() if expected else None)
    _split(release, with_column(table, "published", [None] * table.num_rows), 2)
    assert croissant.newest_article_date(release) is None


@pytest.mark.parametrize("bucket_bytes", [1 << 30, 800, 8])
def test_repeated_keys_in_buckets_match_one_sort(monkeypatch, bucket_bytes):
    """Spilled by their top bits to files sorted one at a time, or sorted together: the same keys."""
    rng = np.random.default_rng(3)
    batches = [rng.integers(0, 1 << 64, size=rng.integers(0, 300), dtype=np.uint64) for _ in range(20)]
    batches[7][:5] = batches[2][:5]  # repeats across batches
    batches[9][1] = batches[9][0]  # and inside one
    every = np.sort(np.concatenate(batches))
    expected = np.unique(every[1:][every[1:] == every[:-1]])
    monkeypatch.setattr(unique_keys, "BUCKET_BYTES", bucket_bytes)
    monkeypatch.setattr(unique_keys, "SPILL_KEYS", 100)
    keys = unique_keys.RepeatedKeys(len(every))
    assert (keys.bits > 0) == (bucket_bytes < len(every) * 8)
    for batch in batches:
        keys.add(batch)
        assert keys.buffered < 100 + 300 or not keys.bits  # spilled as they come
    found = keys.repeated()
    assert found.dtype == np.uint64 and np.array_equal(found, expected) and len(expected) >= 6
    if keys.bits:
        assert not Path(keys.folder.name).exists()  # the files are gone
