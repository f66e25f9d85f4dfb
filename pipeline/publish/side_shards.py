"""The side tables (removals, rejects, duplicates) as independent shards: one pass plans where
each shard starts, then any process writes and checks one shard from that plan alone, so an engine
may write each in a task of its own (Ray: `engines/ray_shards.py`). The local engine writes them
in one stream each (`shards.write_sorted`, in a child process beside the data shards).

A side table's rows are its sorted runs merged (`shards.merge_runs`), less the rows left out
(`SortedTable`); shard k holds rows [k * shard_rows, (k + 1) * shard_rows) of that stream. The
plan gives each shard's start as (id, rows of that id before it): the shard's task merges only
the ids from there to the next shard's start (row groups skipped by their id statistics), skips
those rows and takes its count. Rows of one id come in the same order whatever other ids a merge
reads, so the shards hold the rows, in the order, that one stream gives: the same bytes.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Iterator

import pyarrow as pa
import pyarrow.compute as pc

from ..corpus.fold_files import dropped_ids
from ..options import PublishOptions
from .repeats import POSITION, StagedPositions, without_repeats
from .shards import IdRange, ShardWriter, merge_runs, without_ids
from .validate import Report, validate_audit_file


@dataclass
class SideTables:
    """What writing the removals, rejects and duplicates tables gives back (from a child process,
    or from the tasks of `ShardTasks.side`)."""

    paths: dict[str, list[Path]] = field(default_factory=dict)
    counts: Counter = field(default_factory=Counter)
    removed_by_rule: Counter = field(default_factory=Counter)
    rejected_by_reason: Counter = field(default_factory=Counter)
    checked: dict[str, Report] = field(default_factory=dict)  # their checks and checksums


@dataclass(frozen=True)
class SortedTable:
    """A side table to publish: its sorted runs, their keys, the published schema, and what is
    left out: rows of `dropped` ids (or of the ids listed in the Parquet file `dropped_file`, read
    an id range at a time), and (removals) rows of the input `positions` left out, or of those
    staged by the corpus stage's id ranges (`staged`: read a window of ids at a time)."""

    kind: str
    prefix: str
    runs: tuple[str, ...]
    keys: tuple[str, ...]
    schema: pa.Schema
    dropped: pa.Array | None = None
    positions: pa.Array | None = None
    counted: str | None = None  # the column whose values are counted (removals: rule; rejects: reason)
    dropped_file: str | None = None
    staged: StagedPositions | None = None

    def rows(self, ids: IdRange | None = None) -> Iterator[pa.Table]:
        """The published rows in order (of the ids in `ids`), as `write_sorted` writes them: with
        `staged` positions, one window of ids after another, each with only its positions (rows
        of one id come in the same order whatever ids a merge reads: the same rows)."""
        if self.staged is None:
            yield from self._rows(ids, self.positions)
            return
        for window in self.staged.windows(ids):
            yield from self._rows(window, self.staged.read(window))

    def _rows(self, ids: IdRange | None, positions: pa.Array | None) -> Iterator[pa.Table]:
        if positions is not None and len(positions):
            keep, columns = partial(without_repeats, positions=positions), None
        else:  # none to leave out: POSITION is not even read
            keep, columns = None, (self.schema.names if positions is not None else None)
        dropped = self.dropped if self.dropped_file is None else dropped_ids(self.dropped_file, *(ids or (None, None)))
        for table in merge_runs([Path(run) for run in self.runs], self.keys, self.schema, columns, keep, ids):
            table = without_ids(table, dropped)
            if table.num_rows:
                yield table


@dataclass(frozen=True)
class SideShard:
    """Shard `number` of a side table of `total_rows`: `rows` rows from the `skip`-th row of id
    `first_id` (None: the first row) up to, at most, id `last_id` (None: the end)."""

    number: int
    total_rows: int
    rows: int
    first_id: str | None
    skip: int
    last_id: str | None


@dataclass
class ShardResult:
    path: str
    rows: int
    counted: Counter
    checked: Report


def plan_side_shards(table: SortedTable, shard_rows: int) -> list[SideShard]:
    """One pass over the table's ids: where each shard starts (the id of its first row and how
    many rows of that id come before it)."""
    starts: list[tuple[str | None, int]] = [(None, 0)]
    position, last_id, same = 0, None, 0  # rows so far; the last id and how many rows it has had
    for part in table.rows():
        ids, n = part["id"], part.num_rows
        while len(starts) * shard_rows < position + n:
            at = len(starts) * shard_rows - position
            first_id = ids[at].as_py()
            first = pc.index(ids, first_id).as_py()  # rows are sorted by id: its rows are together
            starts.append((first_id, at - first + (same if first == 0 and first_id == last_id else 0)))
        tail = ids[n - 1].as_py()
        first = pc.index(ids, tail).as_py()
        same = n - first + (same if first == 0 and tail == last_id else 0)
        last_id, position = tail, position + n
    count = len(starts)
    ends = [first_id for first_id, _ in starts[1:]] + [None]
    return [SideShard(k, position, min(shard_rows, position - k * shard_rows), first_id, skip, ends[k])
            for k, (first_id, skip) in enumerate(starts[:count])]


def _taken(tables: Iterator[pa.Table], skip: int, rows: int) -> Iterator[pa.Table]:
    """The rows after the first `skip`, `rows` of them."""
    for table in tables:
        if skip >= table.num_rows:
            skip -= table.num_rows
            continue
        table, skip = table.slice(skip, rows), 0
        rows -= table.num_rows
        yield table
        if not rows:
            return


def write_side_shard(table: SortedTable, shard: SideShard, staging: str, options: PublishOptions) -> ShardResult:
    """Write one shard of a side table into `staging/<kind>/`, then check it (its sha256 and
    every check `validate_audit_tables` runs). Raises RuntimeError when its rows are not those
    planned."""
    high = None if shard.last_id is None else shard.last_id + "\0"  # up to last_id, inclusive
    rows = table.rows((shard.first_id, high) if shard.number else (None, high))
    writer = ShardWriter(Path(staging) / table.kind, table.prefix, shard.total_rows, table.schema, options,
                         first=shard.number)
    counted: Counter = Counter()
    written = 0
    for part in _taken(rows, shard.skip, shard.rows):
        writer.write(part)
        written += part.num_rows
        if table.counted is not None:
            for entry in pc.value_counts(part[table.counted]).to_pylist():
                counted[entry["values"]] += entry["counts"]
    paths = writer.close()
    if (written, len(paths)) != (shard.rows, 1):
        raise RuntimeError(f"{table.kind} shard {shard.number}: {written} rows in {len(paths)} files, "
                           f"planned {shard.rows}")
    name = paths[0].relative_to(staging).as_posix()
    return ShardResult(str(paths[0]), written, counted, validate_audit_file(staging, table.kind, name))


def merged_report(directory: str, kind: str, results: list[ShardResult]) -> Report:
    """The reports of one table's shards, as one `validate_audit_tables` report."""
    report = Report(directory, rows={kind: 0})
    for result in results:
        report.rows[kind] += result.checked.rows.get(kind, 0)
        report.violations += result.checked.violations
        report.sha256.update(result.checked.sha256)
    return report


__all__ = ["SideShard", "SideTables", "ShardResult", "SortedTable", "merged_report", "plan_side_shards", "write_side_shard"]
