"""The publish check of the data shards as independent pieces of work, so an engine may run them
in tasks (Ray: `engines/ray_checks.py`) instead of the driver reading every shard's ids and text
hashes (`validate.validate_files`, which the local engine runs):

    keys     per shard: its text hashes' 64-bit keys (`unique.value_keys`) split by their top
             bits into buckets, and whether its ids ascend (its first and last id); when the
             ids do not ascend across the shards, their keys too, in a second round
    repeats  per bucket: the keys in it more than once (in a valid release, none)
    shard    per shard: its schema, the values whose key repeats (the only candidates for the
             uniqueness check across shards), and the rows the corpus stage changed (those with
             removals of `recheck_family`, read from the removals shards of its id range),
             checked again

The driver joins the shards' results in shard order (`AcrossShards.record` over the candidates):
the report `validate_files` gives, as `AcrossShards` would find the candidates (every value of a
release it could not read through).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from newsclean.schemas import Corpus, arrow_schema
from newsclean.schemas.corpus import corpus_schema

from .row_checks import recheck_rows
from .storage import Release
from .unique import BUCKET_BYTES, KEY_ROWS, READ_ERRORS, UNIQUE, AcrossShards, _ascending, _repeats_of, value_keys
from .validate import Report, Violation, schema_differences

MAX_BITS = 8  # at most 256 buckets of keys


@dataclass(frozen=True)
class DataCheckJob:
    """The release being checked (a local folder), the rule families its run relaxed, and the
    family of the removals whose rows are checked again (None: no row)."""

    directory: str
    relaxed: tuple[str, ...] = ()
    recheck_family: str | None = None


@dataclass
class ShardKeys:
    """One shard's part of the uniqueness pre-pass."""

    readable: bool = True  # it has both columns (else its schema check reports it)
    ascending: bool = True  # its ids ascend strictly, none null
    first_id: str | None = None
    last_id: str | None = None
    failed: bool = False  # unreadable: the driver's own check decides


@dataclass
class ShardCheck:
    """One shard's checks: violations before the uniqueness check (schema, or a read error), the
    candidates for it (column -> (values, ids); None: not reached), and violations after it."""

    rows: int = 0
    before: list[Violation] = field(default_factory=list)
    candidates: dict[str, tuple[list, list]] | None = None
    after: list[Violation] = field(default_factory=list)


def bucket_bits(directory: str, names: list[str]) -> int:
    """Bits of the key that pick its bucket: buckets of at most BUCKET_BYTES of keys (the rows
    from the shards' footers; an unreadable one counts none, its task reports it)."""
    release, rows = Release(directory), 0
    for name in names:
        try:
            rows += pq.read_metadata(release.path(name), filesystem=release.fs).num_rows
        except READ_ERRORS:
            pass
    bits = 0
    while (rows * 8) >> bits > BUCKET_BYTES and bits < MAX_BITS:
        bits += 1
    return bits


def shard_keys(job: DataCheckJob, name: str, bits: int, column: str = "content_hash") -> tuple:
    """(ShardKeys, then the 2**bits buckets of the keys of its `column`)."""
    release, summary = Release(job.directory), ShardKeys()
    empty = [np.zeros(0, np.uint64)] * (1 << bits)
    try:
        with release.fs.open_input_file(release.path(name)) as handle:
            file = pq.ParquetFile(handle, pre_buffer=False)
            if not set(UNIQUE) <= set(file.schema_arrow.names):
                summary.readable = False
                return (summary, *empty)
            parts = []
            for batch in file.iter_batches(batch_size=KEY_ROWS, columns=list(UNIQUE), use_threads=False):
                ids = batch.column("id")
                if len(ids):
                    summary.ascending = summary.ascending and _ascending(ids, summary.last_id)
                    summary.first_id = ids[0].as_py() if summary.first_id is None else summary.first_id
                    summary.last_id = ids[-1].as_py()
                parts.append(value_keys(batch.column(column)))
    except READ_ERRORS:
        summary.failed = True
        return (summary, *empty)
    keys = np.concatenate(parts) if parts else np.zeros(0, np.uint64)
    if not bits:
        return summary, keys
    top = keys >> np.uint64(64 - bits)
    return (summary, *[keys[top == bucket] for bucket in range(1 << bits)])


def bucket_repeats(*parts: np.ndarray) -> np.ndarray:
    """The keys of one bucket added more than once, sorted."""
    return _repeats_of(np.concatenate([np.zeros(0, np.uint64), *parts]))


def ordered(summaries: list[ShardKeys]) -> bool | None:
    """Whether the ids ascend strictly from the first shard to the last (the readable ones, as
    `AcrossShards` reads them); None when a shard could not be read."""
    last = None
    for summary in summaries:
        if summary.failed:
            return None
        if not summary.readable or summary.first_id is None:
            continue
        if not summary.ascending or (last is not None and not summary.first_id > last):
            return False
        last = summary.last_id
    return True


def check_shard(job: DataCheckJob, name: str, repeated: dict[str, np.ndarray] | None) -> ShardCheck:
    """`validate_files`'s checks of one data shard, the candidates for uniqueness across shards
    (`repeated`: per column, the keys that repeat in the release; None: every value) returned
    for the driver to join."""
    release, result = Release(job.directory), ShardCheck()
    report, expected = Report(job.directory), arrow_schema(Corpus)
    try:
        with release.fs.open_input_file(release.path(name)) as handle:
            shard = pq.ParquetFile(handle)
            problems, _ = schema_differences(shard.schema_arrow, expected)
            result.rows = shard.metadata.num_rows
            for problem in problems:
                report.add(name, problem)
            if not problems:
                keys = shard.read(columns=list(UNIQUE), use_threads=False)
                result.before, report = report.violations, Report(job.directory)
                result.candidates = _candidates(keys, repeated)
                wanted = _rechecked_ids(release, job.recheck_family, keys["id"])
                if len(wanted):
                    positions = np.flatnonzero(pc.is_in(keys["id"], value_set=wanted).to_numpy(zero_copy_only=False))
                    if len(positions):
                        recheck_rows(name, shard, positions, keys, corpus_schema(job.relaxed), expected, report)
    except (OSError, pa.ArrowInvalid) as exc:
        report.add(name, f"unreadable Parquet file: {exc}")
    if result.candidates is None:
        result.before = report.violations
    else:
        result.after = report.violations
    return result


def _candidates(keys: pa.Table, repeated: dict[str, np.ndarray] | None) -> dict[str, tuple[list, list]]:
    """Per unique column, the values (and their rows' ids) that may repeat across shards, as
    `AcrossShards.check` picks them."""
    unique = _across(repeated)
    found = {}
    for column in UNIQUE:
        at = pa.array(unique._candidates(column, keys[column]), pa.int64())
        found[column] = (keys[column].take(at).to_pylist(), keys["id"].take(at).to_pylist())
    return found


def _across(repeated: dict[str, np.ndarray] | None) -> AcrossShards:
    unique = AcrossShards(None, [], within=True)
    unique.repeated = repeated
    return unique


def _rechecked_ids(release: Release, family: str | None, ids: pa.ChunkedArray) -> pa.Array:
    """The ids among these shard's ids whose removals include `family`: read from the removals
    shards, only their rows of the shard's id range."""
    if family is None or not len(ids) or ids.null_count == len(ids):
        return pa.array([], pa.string())
    bounds = pc.min_max(ids)
    low, high = bounds["min"].as_py(), bounds["max"].as_py()
    parts = []
    for name in release.files("removals", ".parquet"):
        table = pq.read_table(release.path(name), filesystem=release.fs, columns=["id", "family"],
                              filters=[("id", ">=", low), ("id", "<=", high)], use_threads=False)
        found = table["id"].filter(pc.equal(table["family"], family))
        if len(found):
            parts.append(pc.unique(found))
    return pc.unique(pa.chunked_array(parts, pa.string())) if parts else pa.array([], pa.string())


def checked_here(directory: str, recheck_family: str | None, names: list[str],
                 relaxed: tuple[str, ...]) -> list[ShardCheck]:
    """Every data shard's checks, one after another in this process: what an engine's tasks do
    (`engines/ray_checks.py`), round by round, as `validate.DataChecks` (for tests, other engines)."""
    job = DataCheckJob(directory, relaxed, recheck_family)
    bits = bucket_bits(directory, names)

    def repeated_keys(column: str) -> tuple[list[ShardKeys], np.ndarray]:
        done = [shard_keys(job, name, bits, column) for name in names]
        found = [bucket_repeats(*[parts[1 + bucket] for parts in done]) for bucket in range(1 << bits)]
        return [parts[0] for parts in done], np.concatenate([np.zeros(0, np.uint64), *found])

    summaries, hashes = repeated_keys("content_hash")
    ids_ascend = ordered(summaries)
    repeated = None if ids_ascend is None else {"content_hash": hashes, "id": np.zeros(0, np.uint64)}
    if ids_ascend is False:
        repeated["id"] = repeated_keys("id")[1]
    return [check_shard(job, name, repeated) for name in names]


def joined(names: list[str], results: list[ShardCheck], report: Report) -> None:
    """The shards' results into `report`, in shard order: `validate_files`'s data loop."""
    unique = _across(None)
    report.rows["data"] = 0
    for name, result in zip(names, results):
        report.rows["data"] += result.rows
        report.violations += result.before
        if result.candidates is not None:
            for column in UNIQUE:
                unique.record(name, column, *result.candidates[column], report)
        report.violations += result.after


__all__ = ["DataCheckJob", "ShardCheck", "ShardKeys", "bucket_bits", "bucket_repeats", "check_shard",
           "checked_here", "joined", "ordered", "shard_keys"]
