"""Where the per-document steps run: in this process and its forked workers (`LocalEngine`, the
default: this process reads and sends batches of documents) or in actors of a Ray cluster
(`RayEngine`: the driver plans units, `readers.plan`, which the actors read themselves). An
engine maps the work over batches or units, in a fixed order, and may take six steps of the
corpus stage and publishing off the driver (Ray: template counting in `ray_templates`, pass 2 by
id ranges in `ray_ranges`, copy linking and the clusters' fold, staged on disk, in `ray_dedup`,
one task per shard of the release in `ray_shards`, the publish check of the data shards in
`ray_checks`, each giving what the driver's code gives); the
readers, the rest of the corpus stage and publishing are the same code for every engine, so the
release is the same bytes whichever runs the steps."""
from __future__ import annotations

from .base import Engine, LocalEngine, engine_named
from .ray_actors import ClusterUnfit, RayEngine

__all__ = ["ClusterUnfit", "Engine", "LocalEngine", "RayEngine", "engine_named"]
