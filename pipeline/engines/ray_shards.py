"""The data shards written by Ray tasks, one task per shard, instead of streamed through the driver.

The driver plans the shards (`publish.data_shards.plan_data_shards`: each shard's range of rows,
from the folded copies and a few ids) and waits; each task reads its own rows (pass 2's copy, or
its id range of the sorted data runs, merged) and writes its shard with the writer the local
engine streams into (`write_data_shard`): the same bytes. The tasks run on the driver's node,
where the corpus stage's files and the release being built are.
"""
from __future__ import annotations

import logging
from pathlib import Path

from ..options import PublishOptions
from ..publish.data_shards import DataShard, RowSource, write_data_shard

log = logging.getLogger(__name__)


def shards_by_tasks(shards: list[DataShard], source: RowSource, folder: Path,
                    options: PublishOptions) -> list[tuple[str, int]]:
    """`write_data_shard` for every shard, each in a Ray task; their paths and rows, in order."""
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    here = NodeAffinitySchedulingStrategy(node_id=ray.get_runtime_context().get_node_id(), soft=False)
    task = ray.remote(num_cpus=1, scheduling_strategy=here)(write_data_shard)
    shared = ray.put(source)
    written = ray.get([task.remote(shard, shared, str(folder), options) for shard in shards])
    log.info("data shards (ray): %d tasks, %d rows", len(written), sum(rows for _, rows in written))
    return written


__all__ = ["shards_by_tasks"]
