"""Sorted Parquet output in bounded memory: spill sorted runs, then merge them into shards."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Callable, Iterator, Protocol

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from ..executor import release_memory
from ..options import PublishOptions

MERGE_BATCH_ROWS = 512  # rows read at a time from each run while merging
# Runs merged at once. Each open run holds its reader's row group and a batch (~6 MB of news text
# measured), so the merge's memory is this many times that, whatever the corpus size: more runs
# than this are first merged in consecutive groups (an external sort's extra pass).
MAX_MERGE_RUNS = 8
COUNT_ROWS = 65_536  # ids read at a time when counting the rows a merge will keep
# Row groups written between two `release_memory` calls. Runs are read and shards encoded on
# this thread (use_threads=False), so the allocator's freed pages can be handed back: with
# Arrow's threads they stayed cached in each thread's heap (~100 MB over a data shard).
TRIM_EVERY = 16


def write_parquet(table: pa.Table, path: Path | str, options: PublishOptions, dictionary: bool = True,
                  filesystem: pafs.FileSystem | None = None) -> None:
    """One Parquet file, written the same way every time (no timestamps, fixed row groups).

    `dictionary=False` for sorted runs, which only a merge reads back: news text rarely repeats,
    so building a dictionary per column chunk and dropping it again cost a third of the time
    spent writing a run and reading it back. `filesystem`: where `path` is (a unit stage's
    object store, `engines.unit_runs`); None: a local path."""
    pq.write_table(table, path, row_group_size=options.row_group_rows, compression=options.compression,
                   compression_level=options.writer_level, write_statistics=True, store_schema=True,
                   use_dictionary=dictionary, filesystem=filesystem)


def sort_table(table: pa.Table, keys: tuple[str, ...]) -> pa.Table:
    return table.sort_by([(key, "ascending") for key in keys])


# What a merge does to each batch it reads, before merging: rows left out, columns dropped.
KeepRows = Callable[[pa.Table], pa.Table]
# Ids from the first (None: from the start) up to the second, left out (None: to the end).
IdRange = tuple[str | None, str | None]


def _as_text(value: str | bytes) -> str:
    return value.decode("utf-8", "surrogatepass") if isinstance(value, bytes) else value


def groups_in(file: pq.ParquetFile, ids: IdRange) -> list[int]:
    """The row groups whose `id` statistics overlap `ids` (a group without them is read)."""
    metadata, (low, high) = file.metadata, ids
    groups = []
    for group in range(metadata.num_row_groups):
        chunks = metadata.row_group(group)
        column = next(chunks.column(c) for c in range(chunks.num_columns) if chunks.column(c).path_in_schema == "id")
        stats = column.statistics
        if stats is not None and stats.has_min_max and (
                (high is not None and _as_text(stats.min) >= high) or (low is not None and _as_text(stats.max) < low)):
            continue
        groups.append(group)
    return groups


def in_id_range(table: pa.Table, ids: IdRange) -> pa.Table:
    """The rows of `table` whose id is in `ids`."""
    low, high = ids
    if low is not None:
        table = table.filter(pc.greater_equal(table["id"], low))
    if high is not None:
        table = table.filter(pc.less(table["id"], high))
    return table


# A sorted run: a local file, or one fetched whole from a unit stage (`merge_group`'s `source`).
Run = Path | pa.NativeFile


def _batches(path: Run, columns: list[str] | None = None, keep: KeepRows | None = None,
             ids: IdRange | None = None) -> Iterator[pa.Table]:
    # pre_buffer=False: pre-buffering caches every row group's column chunks as they are read and
    # keeps them until the file is closed, i.e. the whole compressed run by its end (O(corpus)
    # for the last merge, which reads ~1/8 of the corpus from each run).
    file = pq.ParquetFile(path, pre_buffer=False)
    groups = None if ids is None else groups_in(file, ids)
    if groups == []:
        return
    for batch in file.iter_batches(batch_size=MERGE_BATCH_ROWS, row_groups=groups, columns=columns,
                                   use_threads=False):
        table = pa.Table.from_batches([batch])
        if ids is not None:
            table = in_id_range(table, ids)
            if not table.num_rows:
                continue
        if keep is not None:
            table = keep(table)
            if not table.num_rows:
                continue
        yield table


def _last_key(table: pa.Table, keys: tuple[str, ...]) -> tuple:
    return tuple(table[key][-1].as_py() for key in keys)


def _prefix(table: pa.Table, keys: tuple[str, ...], bound: tuple, inclusive: bool) -> int:
    """How many leading rows of `table` (sorted by `keys`) have a whole key below `bound` (or
    equal to it, when `inclusive`). One comparison on the first key, as a rule: the later keys
    are compared only among the rows whose first key equals the bound's."""
    column, value = table[keys[0]], bound[0]
    at_most = pc.sum(pc.less_equal(column, value)).as_py() or 0
    if not at_most or column[at_most - 1].as_py() != value:
        return at_most  # no row ties with the bound on this key
    below = pc.sum(pc.less(column, value)).as_py() or 0
    if len(keys) == 1:
        return at_most if inclusive else below
    return below + _prefix(table.slice(below, at_most - below), keys[1:], bound[1:], inclusive)


def merge_runs(runs: list[Run], keys: tuple[str, ...], schema: pa.Schema,
               columns: list[str] | None = None, keep: KeepRows | None = None,
               ids: IdRange | None = None) -> Iterator[pa.Table]:
    """Tables in global key order from runs each sorted by `keys`; memory: one batch per run.
    Rows of equal keys come run by run (the order of a stable sort of the runs one after another).
    `columns`: only these (they must include the keys), in this order; all by default. `keep`:
    applied to each batch as it is read (it must keep the keys and leave `schema`'s columns).
    `ids`: only the rows of this range of ids (runs sorted by id first), reading only the row
    groups whose statistics reach into it: a merge of one slice of the key space.

    Each round's bound is the smallest (whole key, run number) among the runs' current last rows:
    a row not yet read, of run j, is at or after (its run's last key, j), so at or after the bound.
    The round emits every row before the bound and the bound's own run's batch: all rows up to the
    bound's key from runs up to the bound's run, and below it from the later runs. (A bound on the
    first key alone emitted an id's removals out of (id, line) order when they straddled a run's
    batches: the bytes then followed where the batches ended, i.e. the input order and spill sizes.)
    """
    if columns is not None:
        if not set(keys) <= set(columns):
            raise ValueError(f"merge_runs: columns {columns} leave out a key of {keys}")
        schema = pa.schema([schema.field(name) for name in columns], metadata=schema.metadata)
    sources = [_batches(run, columns, keep, ids) for run in runs]
    buffers: list[pa.Table | None] = [next(source, None) for source in sources]
    # a run's last key changes only when it reads its next batch (taking rows cuts the front)
    lasts = [None if buf is None else _last_key(buf, keys) for buf in buffers]
    while True:
        live = [i for i, buf in enumerate(buffers) if buf is not None]
        if not live:
            return
        bound_run = min(live, key=lasts.__getitem__)  # the first of equal ones: the smallest run number
        bound = lasts[bound_run]
        pieces = []
        for i in live:
            buf = buffers[i]
            taken = buf.num_rows if i == bound_run else _prefix(buf, keys, bound, inclusive=i < bound_run)
            if not taken:
                continue
            pieces.append(buf.slice(0, taken))
            if taken < buf.num_rows:
                buffers[i] = buf.slice(taken)
            else:
                buffers[i] = next(sources[i], None)
                lasts[i] = None if buffers[i] is None else _last_key(buffers[i], keys)
        if len(pieces) == 1:  # rows of one run only (runs of ordered input do not overlap):
            yield pieces[0].cast(schema)  # sorted already; Arrow's sort is stable, so no change
        else:
            yield sort_table(pa.concat_tables(pieces).cast(schema), keys)


def _fetched(source: pafs.FileSystem, path: str) -> pa.NativeFile:
    """A staged run read whole, in one request (an object store answers each of a run's
    row-group reads slowly): a unit's run is a few MB compressed."""
    with source.open_input_stream(path, compression=None) as stream:
        return pa.BufferReader(stream.readall())


def merge_group(group: list[str], path: str, keys: tuple[str, ...], schema: pa.Schema,
                options: PublishOptions, source: pafs.FileSystem | None = None) -> str:
    """Consecutive runs merged into one run at `path` (local); the group's runs are removed.
    `source`: the runs are staged units' on this filesystem (`engines.unit_runs`), each fetched
    whole, and kept (a rerun resumes from them; the stage goes once the release is published)."""
    runs: list[Run] = [Path(run) for run in group] if source is None else [_fetched(source, run) for run in group]
    with pq.ParquetWriter(path, schema, compression=options.compression, use_dictionary=False,
                          compression_level=options.writer_level) as writer:  # a run
        for table in merge_runs(runs, keys, schema):
            writer.write_table(table, row_group_size=options.row_group_rows)
    if source is None:
        for run in group:
            Path(run).unlink()
    return path


class GroupMerger(Protocol):
    """Merges each (group of runs, path) as `merge_group` does, each on its own (an engine's tasks)."""

    def __call__(self, jobs: list[tuple[list[str], str]], keys: tuple[str, ...], schema: pa.Schema,
                 options: PublishOptions, source: pafs.FileSystem | None = None) -> list[str]:
        ...


def merge_staged(staged: list[str], source: pafs.FileSystem, folder: Path, kind: str, keys: tuple[str, ...],
                 schema: pa.Schema, options: PublishOptions, fan_in: int | None = None,
                 merger: GroupMerger | None = None) -> list[Path]:
    """Runs staged by the workers (`engines.unit_runs`: a unit's table, sorted), on `source`,
    merged in consecutive groups of `fan_in` into local runs `folder/KIND-NNNNN.parquet`: the
    first round of `reduce_runs`, which then takes the local runs. Every group by `merger` at
    once (an engine's tasks: this process reads no row), or one after another here. Groups of
    consecutive runs in plan order keep equal keys in the order the driver's spills gave them."""
    fan_in = fan_in or MAX_MERGE_RUNS
    jobs = [(staged[at:at + fan_in], str(folder / f"{kind}-{at // fan_in:05d}.parquet"))
            for at in range(0, len(staged), fan_in)]
    if merger is None:
        for group, path in jobs:
            merge_group(group, path, keys, schema, options, source)
    elif jobs:
        merger(jobs, keys, schema, options, source=source)
    return [Path(path) for _, path in jobs]


def reduce_runs(runs: list[Path], keys: tuple[str, ...], schema: pa.Schema, options: PublishOptions,
                fan_in: int | None = None, merger: GroupMerger | None = None) -> list[Path]:
    """Merge consecutive groups of runs until at most `fan_in` (MAX_MERGE_RUNS) are left: one
    group after another here, or every group of a round at once by `merger`.

    Rows with equal keys keep their order (run by run): groups are consecutive and `merge_runs`
    emits equal keys in run order, so merging the result gives the rows a single merge would."""
    fan_in = fan_in or MAX_MERGE_RUNS
    level = 0
    while len(runs) > fan_in:
        merged, jobs = [], []
        for start in range(0, len(runs), fan_in):
            group = runs[start:start + fan_in]
            if len(group) == 1:
                merged.append(group[0])
                continue
            path = group[0].with_name(f"{group[0].stem}.m{level}.parquet")
            if merger is None:
                merge_group([str(run) for run in group], str(path), keys, schema, options)
            else:
                jobs.append(([str(run) for run in group], str(path)))
            merged.append(path)
        if jobs:
            merger(jobs, keys, schema, options)
        runs, level = merged, level + 1
    return runs


class ShardWriter:
    """Writes `{prefix}-00000-of-0000N.parquet` files of at most `shard_rows` rows each, N for
    `total_rows`; `first`: the number of the first file (a writer of one shard of many)."""

    def __init__(self, folder: Path, prefix: str, total_rows: int, schema: pa.Schema,
                 options: PublishOptions, first: int = 0):
        self.folder, self.prefix, self.schema, self.options = folder, prefix, schema, options
        self.first = first
        self.count = max(1, math.ceil(total_rows / options.shard_rows))
        self.paths: list[Path] = []
        self._writer: pq.ParquetWriter | None = None
        self._in_shard = 0
        self._pending: list[pa.Table] = []
        self._pending_rows = 0
        self._groups = 0
        folder.mkdir(parents=True, exist_ok=True)

    def _open(self) -> None:
        path = self.folder / f"{self.prefix}-{self.first + len(self.paths):05d}-of-{self.count:05d}.parquet"
        self.paths.append(path)
        self._writer = pq.ParquetWriter(
            path, self.schema, compression=self.options.compression,
            compression_level=self.options.writer_level, write_statistics=True, store_schema=True)
        self._in_shard = 0

    def _flush(self, rows: int) -> None:
        """Write `rows` pending rows as one row group (at a shard boundary if need be)."""
        table = pa.concat_tables(self._pending) if len(self._pending) > 1 else self._pending[0]
        # One chunk per row group: Parquet's page boundaries follow the chunks, and the chunks
        # follow how the rows were buffered and spilled; the bytes must follow only the rows.
        chunk, rest = table.slice(0, rows).combine_chunks(), table.slice(rows)
        if self._writer is None or self._in_shard >= self.options.shard_rows:
            if self._writer is not None:
                self._writer.close()
            self._open()
        self._writer.write_table(chunk, row_group_size=rows)
        self._in_shard += rows
        self._groups += 1
        if self._groups % TRIM_EVERY == 0:
            release_memory()
        self._pending = [rest] if rest.num_rows else []
        self._pending_rows = rest.num_rows

    def write(self, table: pa.Table) -> None:
        self._pending.append(table)
        self._pending_rows += table.num_rows
        while self._pending_rows >= self._group_size():
            self._flush(self._group_size())

    def _group_size(self) -> int:
        room = self.options.shard_rows - self._in_shard if self._writer is not None else self.options.shard_rows
        if room <= 0:
            room = self.options.shard_rows
        return min(self.options.row_group_rows, room)

    def close(self) -> list[Path]:
        while self._pending_rows:
            self._flush(min(self._pending_rows, self._group_size()))
        if self._writer is None:  # no rows at all: one empty shard that still carries the schema
            self._open()
            self._writer.write_table(self.schema.empty_table())
        self._writer.close()
        release_memory()
        return self.paths


def without_ids(table: pa.Table, drop_ids: pa.Array | None) -> pa.Table:
    if drop_ids is None or not len(drop_ids):
        return table
    return table.filter(pc.invert(pc.is_in(table["id"], value_set=drop_ids)))


def _kept_rows(run: Path, drop_ids: pa.Array | None, keep: KeepRows | None, keep_reads: tuple[str, ...]) -> int:
    """Rows of a run that a merge with these `drop_ids` and `keep` writes (reading only `id` and
    those of `keep_reads` the run has, a slice at a time)."""
    file = pq.ParquetFile(run, pre_buffer=False)
    columns = ["id"] + [name for name in keep_reads if name in file.schema_arrow.names]
    total = 0
    for batch in file.iter_batches(batch_size=COUNT_ROWS, columns=columns, use_threads=False):
        table = pa.Table.from_batches([batch])
        total += without_ids(keep(table) if keep is not None else table, drop_ids).num_rows
    return total


def write_sorted(runs: list[Path], keys: tuple[str, ...], schema: pa.Schema, folder: Path,
                 prefix: str, options: PublishOptions,
                 on_table: Callable[[pa.Table], None] | None = None,
                 drop_ids: pa.Array | None = None, keep: KeepRows | None = None,
                 keep_reads: tuple[str, ...] = (), columns: list[str] | None = None) -> list[Path]:
    """Merge sorted runs into shards; rows whose `id` is in `drop_ids` are left out, and each batch
    read goes through `keep` (`merge_runs`), which needs only `id` and the columns `keep_reads`
    names to tell the rows it keeps (none named: it leaves no row out). `columns`: only these are
    read (`merge_runs`)."""
    if (drop_ids is None or not len(drop_ids)) and not keep_reads:
        total = sum(pq.ParquetFile(run).metadata.num_rows for run in runs)
    else:  # the shard count is in the file names: count what is kept first (ids only, a slice at a time)
        total = sum(_kept_rows(run, drop_ids, keep, keep_reads) for run in runs)
    writer = ShardWriter(folder, prefix, total, schema, options)
    for table in merge_runs(runs, keys, schema, columns, keep=keep):
        table = without_ids(table, drop_ids)
        if not table.num_rows:
            continue
        if on_table is not None:
            on_table(table)
        writer.write(table)
    return writer.close()
