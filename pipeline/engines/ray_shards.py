"""Every shard of the release written by a Ray task of its own, instead of streamed by the driver.

    data    the data shards planned (`publish.data_shards.plan_data_shards`: each shard's range
            of rows, from the folded copies and a few ids), by a task when the fold is staged
            on disk (`plan_from_files`), else by the driver; one task per shard
            reads its own rows (pass 2's copy, or its id range of the sorted data runs, merged)
            and writes it (`write_data_shard`)
    side    the side tables' (removals, rejects, duplicates) shards planned by id ranges: one
            task per range counts its rows (`count_side_range`), the driver sums them up, one
            task per range holding a shard's start finds it (`side_range_starts`); one task per
            shard then merges its id range, writes the shard and checks it (`write_side_shard`)

Each shard is written by the writer the local engine streams into, fed the same rows: the same
bytes. The tasks run on the driver's node, where the runs, the corpus stage's files and the
release being built are; the driver gets back paths, row counts, value counts and check reports.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from ..options import PublishOptions
from ..publish.data_shards import DataShard, RowSource, plan_from_files, write_data_shard
from ..publish.side_shards import ShardResult, SortedTable, plan_side_tables, write_side_shard

log = logging.getLogger(__name__)


def _on_this_node(fn: Any) -> Any:
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    here = NodeAffinitySchedulingStrategy(node_id=ray.get_runtime_context().get_node_id(), soft=False)
    return ray.remote(num_cpus=1, scheduling_strategy=here)(fn)


def shards_by_tasks(shards: list[DataShard], source: RowSource, folder: Path,
                    options: PublishOptions) -> list[tuple[str, int]]:
    """`write_data_shard` for every shard, each in a Ray task; their paths and rows, in order."""
    import ray

    task = _on_this_node(write_data_shard)
    shared = ray.put(source)
    written = ray.get([task.remote(shard, shared, str(folder), options) for shard in shards])
    log.info("data shards (ray): %d tasks, %d rows", len(written), sum(rows for _, rows in written))
    return written


def plan_by_task(fold: str, signatures: str, rows: int, total: int, shard_rows: int) -> list[DataShard]:
    """`plan_from_files` in a Ray task: the driver reads no folded row."""
    import ray

    return ray.get(_on_this_node(plan_from_files).remote(fold, signatures, rows, total, shard_rows))


def side_tables_by_tasks(tables: list[SortedTable], staging: Path,
                         options: PublishOptions) -> dict[str, list[ShardResult]]:
    """Every side table's shards planned by id ranges, then written and checked, each range's
    rounds and each shard in a Ray task; each table's results in shard order."""
    import ray

    shared = {table.kind: ray.put(table) for table in tables}

    def calls(function, jobs: list[tuple]) -> list:
        """`function` over (table, ...) tuples, each in a task given the table's object ref."""
        task = _on_this_node(function)
        return ray.get([task.remote(shared[table.kind], *rest) for table, *rest in jobs])

    plans = plan_side_tables(tables, options.shard_rows, calls)
    writer = _on_this_node(write_side_shard)
    pending = {table.kind: [writer.remote(shared[table.kind], shard, str(staging), options) for shard in plan]
               for table, plan in zip(tables, plans)}
    results = {kind: ray.get(refs) for kind, refs in pending.items()}
    log.info("side tables (ray): %s", ", ".join(f"{kind} {len(done)} shards" for kind, done in results.items()))
    return results


__all__ = ["plan_by_task", "shards_by_tasks", "side_tables_by_tasks"]
