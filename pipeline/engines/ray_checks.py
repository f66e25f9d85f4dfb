"""The publish check of the data shards as Ray tasks (`publish/data_checks.py` says what each
does), instead of the driver reading every shard's ids and text hashes.

    keys     one task per shard: its text hashes' keys split into buckets by their top bits
    repeats  one task per bucket: the keys repeated in it
    shard    one task per shard: its schema, its candidates for uniqueness, its changed rows

The tasks run on the driver's node, where the release is built; the driver gets back each
shard's first and last id, the repeated keys (none in a valid release) and each shard's
violations and candidates, and joins them in shard order (`data_checks.joined`).
"""
from __future__ import annotations

import logging

import numpy as np

from ..publish.data_checks import DataCheckJob, ShardCheck, bucket_bits, bucket_repeats, check_shard, ordered, shard_keys

log = logging.getLogger(__name__)


def _here(fn, returns: int = 1):
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    node = NodeAffinitySchedulingStrategy(node_id=ray.get_runtime_context().get_node_id(), soft=False)
    return ray.remote(num_cpus=1, num_returns=returns, scheduling_strategy=node)(fn)


def _repeated(job: DataCheckJob, names: list[str], bits: int, column: str) -> tuple[list, np.ndarray]:
    """Each shard's summary and the keys of `column` that repeat across the shards."""
    import ray

    keys = _here(shard_keys, 1 + (1 << bits))
    done = [keys.remote(job, name, bits, column) for name in names]
    repeats = ray.remote(num_cpus=1)(bucket_repeats)
    found = [repeats.remote(*[parts[1 + bucket] for parts in done]) for bucket in range(1 << bits)]
    return ray.get([parts[0] for parts in done]), np.concatenate([np.zeros(0, np.uint64), *ray.get(found)])


def checked_by_tasks(directory: str, recheck_family: str | None, names: list[str],
                     relaxed: tuple[str, ...]) -> list[ShardCheck]:
    """Every data shard's checks (`data_checks.check_shard`), each in a Ray task, in order."""
    import ray

    job = DataCheckJob(directory, relaxed, recheck_family)
    bits = bucket_bits(directory, names)
    summaries, hashes = _repeated(job, names, bits, "content_hash")
    ids_ascend = ordered(summaries)
    repeated: dict[str, np.ndarray] | None = None  # a shard unread: every value is a candidate
    if ids_ascend is not None:
        repeated = {"content_hash": hashes, "id": np.zeros(0, np.uint64)}
        if not ids_ascend:  # ids out of order: their keys too, as the text hashes'
            repeated["id"] = _repeated(job, names, bits, "id")[1]
    check = _here(check_shard)
    results = ray.get([check.remote(job, name, repeated) for name in names])
    log.info("publish check (ray): %d data shards, %d buckets of keys, %d repeated text-hash keys",
             len(names), 1 << bits, len(hashes))
    return results


__all__ = ["checked_by_tasks"]
