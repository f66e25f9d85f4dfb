"""Pass 2 of the corpus stage by id ranges of the sorted data runs, each range on its own, so that
an engine may run every range in a task of its own (Ray: `engines/ray_ranges.py`) instead of the
driver streaming the whole corpus through `pass2.write_pass2`.

    merge    the data runs merged down to at most MAX_MERGE_RUNS (`shards.reduce_runs`), each
             group of consecutive runs of a round on its own (`shards.merge_group`)
    plan     the driver cuts the id space at ids read from the runs' row-group statistics
             (footers only): ranges of about RANGE_ROWS rows (`plan_id_ranges`)
    clean    one task per range (`clean_range`): merges its ids from the runs (row groups
             skipped by their id statistics), keeps the first row of each id (`repeats`: the
             smallest input position; every row of an id is in one range, the cuts being ids),
             stages the others' rejects and positions (8 bytes a row, sorted by id) in files,
             then strips template lines and re-signs, as the driver does, into files of its own;
             its rows are numbered from 0
    number   the driver lists the ranges' signature files, in id order, with their rows
             (`number_signatures`): each range's rows are numbered after the rows of the ranges
             before it (a prefix sum of their counts), and every reader reads the list as the one
             `signatures.parquet` and raw file the driver's stream writes (`signature_parts`):
             the same rows, numbers and signatures, and no file rewritten

The ranges' other files (rows, removals, template-only rejects, repeated ids' rejects) are read
in range order where the driver's single files would be read (`CorpusStage.*_parts`), so row
`idx` of the ranges one after another is row `idx` of the signatures: the same numbers, the same
release.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from ..options import CorpusOptions
from ..publish import repeats as repeats_module
from ..publish.repeats import POSITION, RepeatedIds, StagedPositions
from ..publish.shards import GroupMerger, IdRange, _as_text, merge_runs
from .dedup import SIGNED_COLUMNS
from .pass2 import Pass2Counts, Pass2Files, write_pass2
from .signature_parts import write_parts_index

RANGE_ROWS = 50_000  # data rows (repeats included) a range is cut for: ~150 MB of news text
SAMPLES_PER_RANGE = 4  # row-group minima read per range wanted: what the cuts are chosen from
DATA_KEYS = ("id", POSITION)  # the data runs' sort keys (publish.runs.KEYS["data"])


@dataclass(frozen=True)
class StagedRuns:
    """The sorted data runs pass 2 reads, their schema, and where repeated ids are recorded."""

    paths: tuple[str, ...]
    schema: pa.Schema
    repeats: RepeatedIds


@dataclass(frozen=True)
class RangeJob:
    """What every range's task needs: the runs, the corpus stage's folder, the template lines
    (None: none to strip, and no copy of the rows kept) and the options."""

    runs: tuple[str, ...]
    run_schema: pa.Schema
    folder: str
    templates: str | None
    options: CorpusOptions


@dataclass
class RangeResult:
    """One range's ids, files and counts; `repeated`: its repeated ids' rejects, `positions`: the
    left-out rows' positions, (id, POSITION) sorted (`left_out` of them), read by id range by the
    removals' readers (`repeats.StagedPositions`) rather than held by the driver."""

    number: int
    ids: IdRange
    files: Pass2Files
    counts: Pass2Counts
    repeated: Path
    positions: Path
    left_out: int


def staged_positions(results: list[RangeResult]) -> StagedPositions:
    """The ranges' left-out positions as one reader of them: paths, id ranges and counts."""
    return StagedPositions(tuple(str(r.positions) for r in results), tuple(r.ids for r in results),
                           tuple(r.left_out for r in results), repeats_module.WINDOW_POSITIONS)


# Runs `clean_range` over every range, then `number_signatures`; the results in range order.
RangeRunner = Callable[[RangeJob, list[IdRange]], list[RangeResult]]


@dataclass(frozen=True)
class RangeTasks:
    """An engine's pass 2 off the driver: the data runs merged down to a few (`merge`: every group
    of a round on its own, `shards.reduce_runs`), then every id range of them cleaned (`clean`)."""

    clean: RangeRunner
    merge: GroupMerger


def _id_minima(path: Path, stride: int) -> list[str] | None:
    """Every `stride`-th row group's smallest id (None: a group without statistics)."""
    metadata = pq.ParquetFile(path).metadata
    column = next(c for c in range(metadata.num_columns) if metadata.schema.column(c).path == "id")
    minima = []
    for group in range(0, metadata.num_row_groups, stride):
        stats = metadata.row_group(group).column(column).statistics
        if stats is None or not stats.has_min_max:
            return None
        minima.append(_as_text(stats.min))
    return minima


def plan_id_ranges(runs: list[Path], rows_per_range: int = RANGE_ROWS) -> list[IdRange]:
    """Id ranges covering every id, each of about `rows_per_range` rows of the runs: cut at
    quantiles of a sample of their row groups' smallest ids (one footer at a time)."""
    footers = [pq.ParquetFile(run).metadata for run in runs]
    wanted = math.ceil(sum(f.num_rows for f in footers) / max(1, rows_per_range))
    groups = sum(f.num_row_groups for f in footers)
    del footers
    if wanted <= 1 or not groups:
        return [(None, None)]
    stride = max(1, groups // (wanted * SAMPLES_PER_RANGE))
    minima: list[str] = []
    for run in runs:
        found = _id_minima(run, stride)
        if found is None:
            return [(None, None)]
        minima += found
    minima.sort()
    cuts = sorted({minima[len(minima) * k // wanted] for k in range(1, wanted)} - {minima[0]})
    edges: list[str | None] = [None, *cuts, None]
    return list(zip(edges[:-1], edges[1:]))


def _first_rows(job: RangeJob, ids: IdRange, repeats: RepeatedIds) -> Iterator[pa.Table]:
    """The range's rows in id order, the first of each id (the others recorded in `repeats`): all
    columns, or only those signing needs when no template line is to be stripped."""
    columns = None if job.templates is not None else list(SIGNED_COLUMNS)
    needed = None if columns is None else list(dict.fromkeys([*columns, "id", "provenance", POSITION]))
    merged = merge_runs([Path(run) for run in job.runs], DATA_KEYS, job.run_schema, needed, ids=ids)
    for table in repeats.first_of_each_id(merged):
        yield table.drop_columns([POSITION]) if columns is None else table.select(columns)


def clean_range(job: RangeJob, number: int, ids: IdRange) -> RangeResult:
    """Pass 2 over the ids in `ids`, into `range-NNNNN/` of the corpus stage's folder."""
    folder = Path(job.folder) / f"range-{number:05d}"
    folder.mkdir(parents=True, exist_ok=True)
    files = Pass2Files(folder / "clean.parquet" if job.templates is not None else None,
                       folder / "template_removals.parquet", folder / "template_rejects.parquet",
                       folder / "signatures.parquet")
    repeats = RepeatedIds(folder / "rejects-repeated-ids.parquet", folder / "repeated-positions.parquet")
    counts = write_pass2(_first_rows(job, ids, repeats), job.templates, job.options, files)
    return RangeResult(number, ids, files, counts, repeats.rejects_path, repeats.positions_path, repeats.rejected)


def number_signatures(results: list[RangeResult], path: str) -> int:
    """The ranges' signature files listed, in range order, with their rows, as the parts of
    `path` (`signature_parts`: its readers number each range's rows after those of the ranges
    before it). Returns the rows."""
    rows = [result.counts.rows for result in results]
    write_parts_index(Path(path), [result.files.signatures for result in results], rows)
    return sum(rows)


def ranges_here(job: RangeJob, ranges: list[IdRange]) -> list[RangeResult]:
    """Every range in this process, one after another: what an engine's tasks do, without one."""
    results = [clean_range(job, number, ids) for number, ids in enumerate(ranges)]
    number_signatures(results, str(Path(job.folder) / "signatures.parquet"))
    return results


__all__ = ["RANGE_ROWS", "RangeJob", "RangeResult", "RangeRunner", "RangeTasks", "StagedRuns", "clean_range",
           "number_signatures", "plan_id_ranges", "ranges_here", "staged_positions"]
