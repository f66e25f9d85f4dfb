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

The plan itself is made by id ranges (pass 2's, or cut from the runs' footers), in two rounds
that read only ids and merge nothing (the stream is in id order, so an id's place in it follows
from the counts of the ids before it): *count* (`count_side_range`: a range's rows), a prefix sum
of those counts in the caller, then *starts* (`side_range_starts`: the starts that fall in a range,
given the rows before it; only ranges holding one are read again). An engine runs each range's
rounds in a task of its own; `plan_side_shards` runs them here, one after another.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..corpus.fold_files import dropped_ids
from ..options import PublishOptions
from .repeats import POSITION, StagedPositions, without_repeats
from .shards import COUNT_ROWS, IdRange, ShardWriter, groups_in, in_id_range, merge_runs, without_ids
from .validate import Report, validate_audit_file

# Side-table rows an id range of the plan's rounds is cut for, when the table has no ranges of
# pass 2 (`SortedTable.ranges`): ids only are read, ~30 MB of them.
SIDE_RANGE_ROWS = 1_000_000


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
    staged by the corpus stage's id ranges (`staged`: read a window of ids at a time). `ranges`:
    the id ranges its plan is counted by (pass 2's, which its runs' parts follow; None: cut from
    its runs' footers). `run_ranges`: the ids each run holds, where known (pass 2's parts, one
    per id range: a reader of some ids opens only the parts that may hold them, not all of them,
    each open costing ~50 us); a run past its end, or given None, may hold any id."""

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
    ranges: tuple[IdRange, ...] | None = None
    run_ranges: tuple[IdRange | None, ...] = ()

    def _runs_in(self, ids: IdRange | None) -> list[Path]:
        """The runs that may hold ids of `ids` (None: every id)."""
        low, high = ids or (None, None)
        known = [held or (None, None) for held in self.run_ranges]
        known += [(None, None)] * (len(self.runs) - len(known))
        return [Path(run) for run, (start, end) in zip(self.runs, known)
                if (low is None or end is None or low < end) and (high is None or start is None or start < high)]

    def _windows(self, ids: IdRange | None) -> Iterator[tuple[IdRange | None, pa.Array | None]]:
        """`ids` with the positions left out of them: with `staged` positions, one window of ids
        after another, each with only its positions."""
        if self.staged is None:
            yield ids, self.positions
            return
        for window in self.staged.windows(ids):
            yield window, self.staged.read(window)

    def rows(self, ids: IdRange | None = None) -> Iterator[pa.Table]:
        """The published rows in order (of the ids in `ids`), as `write_sorted` writes them (rows
        of one id come in the same order whatever ids a merge reads: the same rows)."""
        for window, positions in self._windows(ids):
            yield from self._rows(window, positions)

    def ids(self, ids: IdRange | None = None) -> Iterator[pa.ChunkedArray]:
        """The ids of the published rows (of the ids in `ids`), run after run, not merged: the
        rows `rows` gives, for counting them (only `id`, and POSITION where rows are left out by
        it, read)."""
        for window, positions in self._windows(ids):
            dropped = self._dropped(window)
            for run in self._runs_in(window):
                for table in _run_ids(run, window, positions):
                    table = without_ids(table, dropped)
                    if table.num_rows:
                        yield table["id"]

    def _dropped(self, ids: IdRange | None) -> pa.Array | None:
        """The ids left out, of those in `ids` when they are read from `dropped_file`."""
        return self.dropped if self.dropped_file is None else dropped_ids(self.dropped_file, *(ids or (None, None)))

    def _rows(self, ids: IdRange | None, positions: pa.Array | None) -> Iterator[pa.Table]:
        if positions is not None and len(positions):
            keep, columns = partial(without_repeats, positions=positions), None
        else:  # none to leave out: POSITION is not even read
            keep, columns = None, (self.schema.names if positions is not None else None)
        dropped = self._dropped(ids)
        for table in merge_runs(self._runs_in(ids), self.keys, self.schema, columns, keep, ids):
            table = without_ids(table, dropped)
            if table.num_rows:
                yield table


def _run_ids(run: Path, ids: IdRange | None, positions: pa.Array | None) -> Iterator[pa.Table]:
    """The `id` column of a run's rows in `ids` (row groups skipped by their statistics), less
    those whose POSITION is in `positions` (read only when the run has it and some are left out)."""
    file = pq.ParquetFile(run, pre_buffer=False)
    by_position = positions is not None and len(positions) and POSITION in file.schema_arrow.names
    groups = None if ids is None else groups_in(file, ids)
    if groups == []:
        return
    for batch in file.iter_batches(batch_size=COUNT_ROWS, row_groups=groups, use_threads=False,
                                   columns=["id", POSITION] if by_position else ["id"]):
        table = pa.Table.from_batches([batch])
        table = table if ids is None else in_id_range(table, ids)
        yield without_repeats(table, positions) if by_position else table


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


def side_ranges(table: SortedTable) -> list[IdRange]:
    """The id ranges a table's plan is counted by: pass 2's when it has them, else cut from its
    runs' row-group statistics (footers only)."""
    from ..corpus.ranges import plan_id_ranges  # corpus.ranges imports from publish

    if table.ranges:
        return list(table.ranges)
    return plan_id_ranges([Path(run) for run in table.runs], SIDE_RANGE_ROWS)


def count_side_range(table: SortedTable, ids: IdRange) -> int:
    """Round 1 of the plan: the table's published rows in `ids`."""
    return sum(len(part) for part in table.ids(ids))


def _id_counts(table: SortedTable, ids: IdRange) -> tuple[pa.Array, np.ndarray]:
    """The distinct ids of the table's rows in `ids`, sorted as the merge emits them, and each
    one's rows. A run's ids come sorted, so each batch is run-length encoded first: only its
    distinct ids (a tenth of the removals' rows) are grouped and sorted across runs."""
    parts = []
    for batch in table.ids(ids):
        encoded = pc.run_end_encode(batch.combine_chunks())
        parts.append(pa.table({"id": encoded.values, "rows": np.diff(encoded.run_ends.to_numpy(), prepend=0)}))
    if not parts:
        return pa.array([], pa.string()), np.zeros(0, np.int64)
    counted = pa.concat_tables(parts).group_by("id").aggregate([("rows", "sum")]).sort_by([("id", "ascending")])
    return counted["id"].combine_chunks(), counted["rows_sum"].to_numpy()


def _first_start(before: int, shard_rows: int) -> int:
    """The number of the first shard after shard 0 that starts at or after row `before`."""
    return max(1, -(-before // shard_rows))


def side_range_starts(table: SortedTable, ids: IdRange, before: int, shard_rows: int) -> list[tuple[str, int]]:
    """Round 2 of the plan: the starts (id, rows of that id before it) of the shards, after the
    first, whose first row is among the table's rows in `ids`, `before` rows coming before them."""
    distinct, counts = _id_counts(table, ids)
    ends = np.cumsum(counts)  # rows of the range up to and including each id
    rows = int(ends[-1]) if len(ends) else 0
    starts = []
    number = _first_start(before, shard_rows)
    while number * shard_rows < before + rows:
        at = number * shard_rows - before
        which = int(np.searchsorted(ends, at, side="right"))  # the id whose rows hold row `at`
        starts.append((distinct[which].as_py(), at - (int(ends[which - 1]) if which else 0)))
        number += 1
    return starts


def shards_from_starts(total: int, starts: list[tuple[str | None, int]], shard_rows: int) -> list[SideShard]:
    """The shards of a table of `total` rows from their starts (the first's included)."""
    ends = [first_id for first_id, _ in starts[1:]] + [None]
    return [SideShard(k, total, min(shard_rows, total - k * shard_rows), first_id, skip, ends[k])
            for k, (first_id, skip) in enumerate(starts)]


# Runs a function over argument tuples, each on its own (an engine's tasks), the results in order.
RangeCalls = Callable[[Callable[..., Any], list[tuple]], list]


def _here(function: Callable[..., Any], calls: list[tuple]) -> list:
    return [function(*args) for args in calls]


def plan_side_tables(tables: list[SortedTable], shard_rows: int, calls: RangeCalls = _here) -> list[list[SideShard]]:
    """Every table's shard plan by its id ranges: their rows counted (`calls`: every range of
    every table at once), a prefix sum of the counts, then the starts found in the ranges that
    hold one. The plan one pass over the merged table gives, shard for shard."""
    ranges = [(table, ids) for table in tables for ids in side_ranges(table)]
    counts = calls(count_side_range, ranges)
    befores, totals = [], Counter()  # each range's rows before it (a prefix sum); each table's
    for (table, _), rows in zip(ranges, counts):
        befores.append(totals[table.kind])
        totals[table.kind] += rows
    holding = [(table, ids, before, shard_rows) for (table, ids), rows, before in zip(ranges, counts, befores)
               if rows and _first_start(before, shard_rows) * shard_rows < before + rows]
    found = iter(calls(side_range_starts, holding))
    starts: dict[str, list[tuple[str | None, int]]] = {table.kind: [(None, 0)] for table in tables}
    for table, *_ in holding:
        starts[table.kind] += next(found)
    plans = [shards_from_starts(totals[table.kind], starts[table.kind], shard_rows) for table in tables]
    for table, plan in zip(tables, plans):
        if len(plan) != max(1, -(-totals[table.kind] // shard_rows)):
            raise RuntimeError(f"{table.kind}: {len(plan)} shards planned for {totals[table.kind]} rows")
    return plans


def plan_side_shards(table: SortedTable, shard_rows: int) -> list[SideShard]:
    """One table's shard plan, its ranges' rounds run in this process."""
    return plan_side_tables([table], shard_rows)[0]


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


__all__ = ["RangeCalls", "SideShard", "SideTables", "ShardResult", "SortedTable", "count_side_range", "merged_report",
           "plan_side_shards", "plan_side_tables", "shards_from_starts", "side_range_starts", "side_ranges",
           "write_side_shard"]
