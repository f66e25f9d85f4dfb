"""The data shards as independent pieces of work: the driver plans which rows each shard holds,
and any process can write one shard from that plan alone (`write_data_shard`), so an engine may
write every shard in a task of its own (Ray: `engines/ray_shards.py`) instead of streaming the
corpus through the driver. The local engine writes them in one stream (`ReleaseBuilder`).

Shard k holds published rows [k * shard_rows, (k + 1) * shard_rows). Pass 2 of the corpus stage
numbers the rows it keeps (`idx`, in id order); the published rows are those less the copies
folded away, so shard k's rows are the idx from `first_idx` to `end_idx`, found from the folded
rows alone, and their ids run from `first_id` to `end_id` (read from pass 2's signature files,
`corpus.signature_parts`). A shard is written by the same `ShardWriter`, fed the same rows, as
in the stream: the same bytes.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from newsclean.schemas import Corpus, arrow_schema

from ..corpus import CorpusStage
from ..corpus.fold_files import fold_entries, folded_rows
from ..corpus.signature_parts import SignatureParts
from ..corpus.stage import READ_ROWS, apply_folding
from ..options import PublishOptions
from .repeats import POSITION, first_rows
from .shards import IdRange, ShardWriter, merge_runs
from .side_shards import ShardResult, SortedTable

PREFIX = "train"
DATA_KEYS = ("id", POSITION)  # the data runs' sort keys (runs.KEYS["data"])


@dataclass(frozen=True)
class RowSource:
    """Where pass 2's rows are: its own copy (`clean`: its files in order, one or one per id
    range, row i of them being idx i), or, when it changed no row and kept none
    (`CorpusStage.rereads_staged`), the sorted data runs, merged by id with repeated ids left out
    as the corpus stage left them out."""

    clean: tuple[str, ...] | None
    clean_rows: tuple[int, ...] = ()  # the rows of each of `clean`'s files, so a task opens only its own
    runs: tuple[str, ...] = ()
    run_schema: pa.Schema | None = None


# Writes every planned shard into the folder (with these options); each shard's path and rows.
DataShardsWriter = Callable[[list["DataShard"], RowSource, Path, PublishOptions], list[tuple[str, int]]]
# Plans, writes and checks the side tables' shards into the staging folder; each table's results.
SideShardsWriter = Callable[[list[SortedTable], Path, PublishOptions], dict[str, list[ShardResult]]]


# Plans the data shards from the staged fold (`plan_from_files`'s arguments), where the engine likes.
DataShardsPlanner = Callable[[str, str, int, int, int], list["DataShard"]]


@dataclass(frozen=True)
class ShardTasks:
    """An engine's writers of shards, each shard written on its own (Ray: one task per shard),
    and, when the fold is staged on disk, its planner of the data shards (None: this process)."""

    data: DataShardsWriter
    side: SideShardsWriter
    plan: DataShardsPlanner | None = None


@dataclass(frozen=True)
class DataShard:
    """One data shard: pass 2's rows `first_idx` to `end_idx` (ids `first_id` to `end_id`, None
    at the corpus' ends), `rows` of them published; `fold`: the folding of its clustered rows,
    or `fold_file`: the staged fold (`corpus/fold_files.py`) its task reads them from."""

    number: int
    total_rows: int  # published rows of every shard: the `-of-N` in the names
    rows: int
    first_idx: int
    end_idx: int
    first_id: str | None
    end_id: str | None
    fold: dict[int, tuple] = field(default_factory=dict)
    fold_file: str | None = None


def ids_at(path: Path, rows: list[int]) -> list[str]:
    """The ids of pass-2 rows `rows` (sorted), read from its signature files a row group each."""
    parts = SignatureParts.of(path)
    groups = parts.row_groups()
    starts = np.array([group[2] for group in groups], np.int64)
    ids, cached = [], (-1, None)
    for row in rows:
        at = int(np.searchsorted(starts, row, side="right")) - 1
        if cached[0] != at:
            cached = (at, parts.read([groups[at]], ["id"])["id"])
        ids.append(cached[1][row - int(starts[at])].as_py())
    return ids


def _starts(folded: np.ndarray, total: int, rows: int, shard_rows: int) -> list[int]:
    """Each shard's first pass-2 row, then `rows`: the `folded` rows (sorted) skipped."""
    before = folded - np.arange(len(folded))  # published rows before each folded row
    count = max(1, math.ceil(total / shard_rows))
    ranks = [k * shard_rows for k in range(1, count)]
    return [0] + [rank + int(np.searchsorted(before, rank, side="right")) for rank in ranks] + [rows]


def plan_from_files(fold: str, signatures: str, rows: int, total: int, shard_rows: int) -> list[DataShard]:
    """`plan_data_shards` from the staged fold: the folded rows read from `fold`, each shard
    given the file rather than its entries (its task reads those of its own rows)."""
    starts = _starts(folded_rows(fold), total, rows, shard_rows)
    bounds = [None] + ids_at(Path(signatures), starts[1:-1]) + [None]
    return [DataShard(k, total, min(shard_rows, total - k * shard_rows), starts[k], starts[k + 1], bounds[k],
                      bounds[k + 1], fold_file=fold) for k in range(len(starts) - 1)]


def plan_data_shards(corpus: CorpusStage, shard_rows: int) -> list[DataShard]:
    """The data shards of this corpus stage's rows: bounds from the folded rows (they grow with
    the copies, not the corpus) and a few ids read back."""
    total = corpus.published_rows()
    if corpus.staged is not None:
        return plan_from_files(corpus.staged.fold, str(corpus.signatures_path), corpus.rows, total, shard_rows)
    fold = corpus.folding.rows
    folded = np.array(sorted(idx for idx, entry in fold.items() if not entry[0]), np.int64)
    starts = _starts(folded, total, corpus.rows, shard_rows)
    count = len(starts) - 1
    bounds = [None] + ids_at(corpus.signatures_path, starts[1:-1]) + [None]
    clustered = np.array(sorted(fold), np.int64)
    shards = []
    for k in range(count):
        lo, hi = np.searchsorted(clustered, [starts[k], starts[k + 1]])
        rows = min(shard_rows, total - k * shard_rows)
        shards.append(DataShard(k, total, rows, starts[k], starts[k + 1], bounds[k], bounds[k + 1],
                                {idx: fold[idx] for idx in clustered[lo:hi].tolist()}))
    return shards


def _clean_rows(paths: tuple[str, ...], first: int, end: int, sizes: tuple[int, ...] = ()) -> Iterator[pa.Table]:
    """Rows `first` to `end` of pass 2's copy (its files one after another, of `sizes` rows when
    given), opening only the files and reading only the row groups that hold them."""
    offset = 0  # rows of the files before this one
    for number, path in enumerate(paths):
        if offset >= end:
            return
        if sizes and offset + sizes[number] <= first:
            offset += sizes[number]
            continue
        file = pq.ParquetFile(path, pre_buffer=False)
        rows = file.metadata.num_rows
        if offset + rows > first:
            yield from _rows_of(file, first - offset, end - offset)
        offset += rows


def _rows_of(file: pq.ParquetFile, first: int, end: int) -> Iterator[pa.Table]:
    sizes = [file.metadata.row_group(g).num_rows for g in range(file.metadata.num_row_groups)]
    starts = np.concatenate([[0], np.cumsum(sizes)]).tolist()
    groups = [g for g in range(len(sizes)) if starts[g] < end and starts[g + 1] > first]
    if not groups:
        return
    position = starts[groups[0]]
    for batch in file.iter_batches(batch_size=READ_ROWS, row_groups=groups, use_threads=False):
        table = pa.Table.from_batches([batch])
        lo, hi = max(first - position, 0), min(end - position, table.num_rows)
        position += table.num_rows
        if hi > lo:
            yield table.slice(lo, hi - lo)


def _staged_rows(source: RowSource, ids: IdRange) -> Iterator[pa.Table]:
    """The rows of ids in `ids`, merged from the data runs, first of each id (`repeats`)."""
    names = arrow_schema(Corpus).names
    needed = list(dict.fromkeys([*names, "id", "provenance", POSITION]))
    merged = merge_runs([Path(run) for run in source.runs], DATA_KEYS, source.run_schema, needed, ids=ids)
    for table in first_rows(merged):
        yield table.select(names)


def write_data_shard(shard: DataShard, source: RowSource, folder: str, options: PublishOptions) -> tuple[str, int]:
    """Write one data shard; its path and rows. Raises RuntimeError when the rows found are not
    the rows planned (the plan and the rows would disagree: never publish such a shard)."""
    if source.clean is not None:
        tables = _clean_rows(source.clean, shard.first_idx, shard.end_idx, source.clean_rows)
    else:
        tables = _staged_rows(source, (shard.first_id, shard.end_id))
    fold = shard.fold if shard.fold_file is None else fold_entries(shard.fold_file, shard.first_idx, shard.end_idx)
    clustered = np.array(sorted(fold), np.int64)
    writer = ShardWriter(Path(folder), PREFIX, shard.total_rows, arrow_schema(Corpus), options, first=shard.number)
    position, written = shard.first_idx, 0
    for table in tables:
        n = table.num_rows
        lo, hi = np.searchsorted(clustered, [position, position + n])
        if hi > lo:
            table = apply_folding(table, position, clustered[lo:hi].tolist(), fold)
        position += n
        if table.num_rows:
            writer.write(table)
            written += table.num_rows
    paths = writer.close()
    if (position, written, len(paths)) != (shard.end_idx, shard.rows, 1):
        raise RuntimeError(f"data shard {shard.number}: found rows {shard.first_idx}..{position} "
                           f"({written} published) in {len(paths)} files, planned "
                           f"{shard.first_idx}..{shard.end_idx} ({shard.rows})")
    return str(paths[0]), written


__all__ = ["DataShard", "DataShardsPlanner", "DataShardsWriter", "RowSource", "ShardTasks", "SideShardsWriter",
           "plan_data_shards", "plan_from_files", "write_data_shard"]
