"""Template-line counting as Ray tasks over the staged units, instead of in the driver.

With `--engine ray` every unit's count rows are already staged (`unit-N/line_lines.parquet`,
`line_docs.parquet`, made by the actors, in the unit stage: a local folder or an object store,
`engines.staging`), so the driver need not take them in at all. Three rounds of tasks:

    read       one task per group of units, reading them through the stage's filesystem: on the
               driver's node when the stage is on its disk, on any node when it is on an object
               store; the rows made distinct, then split by line key (lines) and document key
               (docs) into PARTITIONS, left in Ray's object store
    count      one task per partition: every row of a line key is in it, so it finds the lines of
               a single source and their distinct documents; and its sources' distinct documents
               (a document key is in one partition too, so these add up across partitions)
    threshold  one task per partition: the per-source totals (summed in the driver: one number
               per source) broadcast, the (source, line) pairs over the threshold returned

The driver holds the per-source totals and the template pairs (the small results) and writes
them sorted by (source, line): the same `templates.parquet` as `LineCounter`, whatever the
order the tasks finish in, the number of units or of partitions (tests/test_ray_templates.py).
"""
from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from ..corpus.templates import COUNT_SCHEMA, DOC_SCHEMA, LineCounts, over_threshold, single_source_docs, write_templates
from ..options import TemplateOptions

log = logging.getLogger(__name__)

UNITS_PER_READ = 16  # units read by one task: fewer, larger objects in the store
ROWS_PER_PARTITION = 2_000_000  # count rows a partition is sized for (~50 MB of Arrow in one task)
MAX_PARTITIONS = 256


def partitions_for(units: int, rows_per_unit: int = 10_000) -> int:
    """A power of two of partitions, so that one holds about ROWS_PER_PARTITION count rows
    (a unit of 500 articles makes a few thousand)."""
    wanted = max(1, units * rows_per_unit // ROWS_PER_PARTITION)
    partitions = 1
    while partitions < min(wanted, MAX_PARTITIONS):
        partitions *= 2
    return partitions


def _split(table: pa.Table, key: str, partitions: int) -> list[pa.Table]:
    part_of = pc.bit_wise_and(table[key], partitions - 1)
    return [table.filter(pc.equal(part_of, part)) for part in range(partitions)]


def read_units(fs: pafs.FileSystem, folders: list[str], partitions: int) -> tuple[pa.Table, ...]:
    """The count rows of these units (folders on `fs`), distinct, as `partitions` line tables
    then `partitions` document tables."""
    lines = pa.concat_tables([pq.read_table(f"{f}/line_lines.parquet", filesystem=fs,
                                            columns=list(COUNT_SCHEMA.names)).cast(COUNT_SCHEMA) for f in folders])
    docs = pa.concat_tables([pq.read_table(f"{f}/line_docs.parquet", filesystem=fs,
                                           columns=list(DOC_SCHEMA.names)).cast(DOC_SCHEMA) for f in folders])
    # an exact copy within a source counts once: its rows are sent once
    lines = lines.group_by(list(COUNT_SCHEMA.names), use_threads=False).aggregate([]).cast(COUNT_SCHEMA)
    docs = docs.group_by(list(DOC_SCHEMA.names), use_threads=False).aggregate([]).cast(DOC_SCHEMA)
    return (*_split(lines, "line", partitions), *_split(docs, "doc", partitions))


def count_partition(line_parts: int, *parts: pa.Table) -> tuple[dict[str, int], pa.Table]:
    """One partition: its sources' distinct documents, and its single-source lines' documents."""
    lines = pa.concat_tables(parts[:line_parts]) if line_parts else COUNT_SCHEMA.empty_table()
    docs = pa.concat_tables(parts[line_parts:]) if len(parts) > line_parts else DOC_SCHEMA.empty_table()
    per_source = docs.group_by("source", use_threads=False).aggregate([("doc", "count_distinct")])
    source_docs = dict(zip(per_source["source"].to_pylist(), per_source["doc_count_distinct"].to_pylist()))
    return source_docs, single_source_docs(lines)


def threshold_partition(candidates: pa.Table, source_docs: dict[str, int], options: TemplateOptions) -> pa.Table:
    return over_threshold(candidates, source_docs, options)


def read_placement(units: Any, node_id: str) -> Any:
    """The read tasks' scheduling strategy for units staged in `units` (a `staging.UnitStage`):
    on the driver's node (`node_id`, hard affinity) when they are on its disk, where no other
    node can read them; Ray's default (any node) when they are on an object store."""
    if not units.local:
        return "DEFAULT"
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    return NodeAffinitySchedulingStrategy(node_id=node_id, soft=False)


class UnitLineCounter:
    """`LineCounter`'s part in the corpus stage, done by Ray tasks over the staged units.

    `add` only counts the units as the driver takes them (their count rows are in the unit stage
    already: the driver's disk or an object store);
    `templates` runs the tasks over units 0..N-1 of this run and writes `templates.parquet`."""

    def __init__(self, units: Any, folder: Path, options: TemplateOptions):
        self.units, self.folder, self.options = units, folder, options  # units: engines.staging.UnitStage
        self.added = 0

    def add(self, counts: LineCounts) -> None:
        self.added += 1

    def templates(self) -> Path:
        import ray

        self.folder.mkdir(parents=True, exist_ok=True)
        folders = [self.units.unit_folder(n) for n in range(self.added)]
        partitions = partitions_for(len(folders))
        placement = read_placement(self.units, ray.get_runtime_context().get_node_id())
        reader = ray.remote(num_cpus=1, num_returns=2 * partitions, scheduling_strategy=placement)(read_units)
        counter = ray.remote(num_cpus=1, num_returns=2)(count_partition)
        threshold = ray.remote(num_cpus=1)(threshold_partition)
        groups = [folders[at:at + UNITS_PER_READ] for at in range(0, len(folders), UNITS_PER_READ)]
        fs = ray.put(self.units.fs)
        read = [reader.remote(fs, group, partitions) for group in groups]
        counted = [counter.remote(len(read), *[parts[p] for parts in read], *[parts[partitions + p] for parts in read])
                   for p in range(partitions)]
        source_docs: Counter = Counter()
        for partial in ray.get([per_source for per_source, _ in counted]):
            source_docs.update(partial)
        broadcast = ray.put(dict(source_docs))
        found = ray.get([threshold.remote(candidates, broadcast, self.options) for _, candidates in counted])
        path = write_templates(found, self.folder / "templates.parquet")
        log.info("template lines (ray, %d units, %d partitions): %d (source, line) pairs over %d sources",
                 len(folders), partitions, sum(t.num_rows for t in found), len(source_docs))
        return path
