"""Pass 2 of the corpus stage as Ray tasks over id ranges of the sorted data runs, instead of the
driver streaming the corpus through it (`corpus/ranges.py` says what each task does).

    merge    the data runs merged down to a few: every group of consecutive runs of a round in a
             task of its own (`shards.merge_group`), the rounds one after another; with units
             staged as sorted runs in an object store (`engines.unit_runs`), the first round of
             every table's runs reads them from there (`shards.merge_staged`)
    clean    one task per id range: merge by id, repeated ids left out by key, template lines
             stripped, changed rows re-signed, the range's files written, its rows counted
    number   the driver lists the ranges' signature files in id order with their counts (a
             prefix sum numbers their rows): no task, no file rewritten (`corpus.signature_parts`)

The tasks run on the driver's node, where the runs and the corpus stage's folder are; the driver
gets back each range's file paths and counts: the repeated ids' left-out positions stay in each
range's file, read by the removals' shard tasks an id range at a time (`repeats.StagedPositions`).
"""
from __future__ import annotations

import logging
from pathlib import Path

import pyarrow as pa
import pyarrow.fs as pafs

from ..corpus.ranges import RangeJob, RangeResult, clean_range, number_signatures
from ..options import PublishOptions
from ..publish.shards import IdRange, merge_group
from .ray_shards import _on_this_node

log = logging.getLogger(__name__)


def ranges_by_tasks(job: RangeJob, ranges: list[IdRange]) -> list[RangeResult]:
    """`corpus.ranges.ranges_here`, each range in a Ray task, their signature files then listed
    by the driver (a few values a range)."""
    import ray

    clean = _on_this_node(clean_range)
    shared = ray.put(job)
    results = ray.get([clean.remote(shared, number, ids) for number, ids in enumerate(ranges)])
    rows = number_signatures(results, str(Path(job.folder) / "signatures.parquet"))
    log.info("pass 2 (ray): %d id ranges, %d rows", len(results), rows)
    return results


def groups_by_tasks(jobs: list[tuple[list[str], str]], keys: tuple[str, ...], schema: pa.Schema,
                    options: PublishOptions, source: pafs.FileSystem | None = None) -> list[str]:
    """`shards.merge_group` for every (group of runs, path) of a round, each in a Ray task;
    `source`: the runs are staged units' on that filesystem (`shards.merge_staged`), which the
    tasks read (the driver reads none of their rows)."""
    import ray

    merge = _on_this_node(merge_group)
    shared = None if source is None else ray.put(source)
    merged = ray.get([merge.remote(group, path, keys, schema, options, shared) for group, path in jobs])
    log.info("runs (ray): %d groups merged%s", len(merged), "" if source is None else " from the unit stage")
    return merged


__all__ = ["groups_by_tasks", "ranges_by_tasks"]
