"""The per-document steps in actors of a Ray cluster (`newsclean[ray]`).

Each actor imports the package and warms it up once (`warm`: the compiled rules, the language
model), then runs unit after unit. The driver only plans the units (`readers.plan`: byte ranges
of JSONL files, runs of Parquet row groups, whole files; the newlines that place the ranges'
cuts are counted by tasks); each actor reads its unit with the project's own readers (line
numbers, one bad record rejected rather than the whole dataset failing, as with
`ray.data.read_json`), cleans it batch by batch and stages its tables: itself when the unit
stage is on an object store, as sorted runs, returning only a receipt (`unit_runs`), or by
returning them to the driver, which writes them, when the stage is on the driver's disk
(`staging.staged_results`). The driver takes them in plan order, at most `in_flight_per_actor`
units per actor in flight, so its memory does not grow with the corpus; they go into the same
release builder as the local engine's: the same bytes.
"""
from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any, Callable, Iterable, Iterator, TypeVar

log = logging.getLogger(__name__)

Item = TypeVar("Item")
Result = TypeVar("Result")

# Input bytes per planned unit: ~4 s of one actor's work at ~2 MB/s, so a scheduling round trip
# (milliseconds) costs nothing and a small corpus still spreads over many actors; its results
# (of the order of its size in Arrow) are what an actor and the driver hold per unit in flight.
UNIT_BYTES = 8 << 20
# Newline-count tasks submitted at a time: a 10 TB plan has a million chunks, whose task
# references alone would crowd the driver if all were in flight.
COUNT_WAVE = 1_000


def ray_missing() -> bool:
    import importlib.util

    return importlib.util.find_spec("ray") is None


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise RuntimeError("--engine ray needs Ray: pip install 'newsclean[ray]'") from None
    return ray


class ClusterUnfit(RuntimeError):
    """The cluster, as joined, cannot run the tasks that must run on the driver's node: said
    before any work, not after the per-document phase."""


def drivers_node_problem(client: bool, node_id: str, nodes: list[dict]) -> str | None:
    """Why the tasks pinned to the driver's node (those that read the corpus stage's files on its
    disk: engines/ray_ranges.py, ray_dedup.py, ray_shards.py, ray_checks.py) could not run there,
    or None. `client`: joined through Ray Client; `nodes`: `ray.nodes()`."""
    if client:
        return ("through Ray Client (a ray:// address) this process runs outside the cluster, but the "
                "corpus stage's tasks read files on its disk: run newsclean on a node of the cluster "
                "(--address auto, or HOST:6379)")
    cpus = sum(node.get("Resources", {}).get("CPU", 0) for node in nodes
               if node.get("NodeID") == node_id and node.get("Alive"))
    if cpus < 1:
        return ("this machine's Ray node has no CPU for tasks (started with --num-cpus 0?), but the corpus "
                "stage's tasks run on it, where their files are: run newsclean on a node with CPUs, or "
                "start this one with --num-cpus 1 or more")
    return None


class StepsActor:
    """One warmed-up worker: `fn` (reading and cleaning one unit) applied to each unit it is sent."""

    def __init__(self, fn: Callable[[Any], Any]):
        from .. import warm  # noqa: F401  (importing it warms this process up)

        self.fn = fn

    def run(self, item: Any) -> Any:
        # a unit: read here, cleaned batch by batch (batch.process_unit), staged here on an object store
        return self.fn(item)


@dataclass(frozen=True)
class RayEngine:
    """Planned units sent to a pool of actors on the Ray cluster at `address` ("auto": the one
    this machine belongs to, or "HOST:6379"; not Ray Client's "ray://", `drivers_node_problem`),
    or on a local Ray started for the run (with `num_cpus` CPUs, all of this machine's by
    default) when no address is given
    and this process has not joined one already. The pool: `actors`, or one fewer than the
    cluster's CPUs (at least one), leaving a CPU to the driver, which plans and publishes. Every
    actor must be able to read the inputs: local paths on one machine (or a folder every node
    mounts at the same path), object-store URIs anywhere."""

    address: str | None = None
    actors: int | None = None
    num_cpus: int | None = None
    in_flight_per_actor: int = 2
    name: str = "ray"
    stages_units: bool = True  # a cluster run is long and its nodes come and go: it resumes
    # template lines counted by Ray tasks over the staged units (engines.ray_templates), not in
    # the driver; False: the driver counts them as the local engine does (for comparisons)
    count_templates_in_tasks: bool = True
    # exact hashes and MinHash bands grouped, candidate pairs checked, by Ray tasks (engines.ray_dedup)
    link_copies_in_tasks: bool = True
    # with link_copies_in_tasks: the links' connected components, the canonical rows and the fold
    # made by Ray tasks too and staged on disk (corpus.fold_files), not held by the driver
    fold_copies_in_tasks: bool = True
    # the publish check of the data shards (schemas, uniqueness across shards, changed rows) by
    # Ray tasks (engines.ray_checks), not the driver
    check_release_in_tasks: bool = True
    unit_bytes: int = UNIT_BYTES  # the planned units' size; the actors read them (readers.plan)
    # every shard (data, removals, rejects, duplicates) written by a Ray task of its own
    # (engines.ray_shards), not streamed by the driver
    write_shards_in_tasks: bool = True
    # the data runs merged down, then pass 2 of the corpus stage (merge by id, repeated ids, template
    # lines stripped, re-signing) over id ranges of them, by Ray tasks (engines.ray_ranges), not the driver
    clean_ranges_in_tasks: bool = True
    # the folder or object-store URI the units are staged in (engines.staging.stage_for); None:
    # beside the output (in its object store when it is a URI)
    stage: str | None = None

    def _init(self, ray: Any) -> bool:
        """Join or start Ray unless this process already has; whether it was started here."""
        if ray.is_initialized():
            return False
        ray.init(address=self.address, num_cpus=self.num_cpus if self.address is None else None,
                 include_dashboard=False, logging_level=logging.WARNING)
        return True

    @contextmanager
    def session(self) -> Iterator[None]:
        """Ray up for the whole run: the actors' phase and the corpus stage's tasks share one
        start (a local Ray takes seconds to start)."""
        ray = _ray()
        started_here = self._init(ray)
        try:
            from ray.util.client import ray as client

            problem = drivers_node_problem(client.is_connected(), ray.get_runtime_context().get_node_id(),
                                           ray.nodes())
            if problem:
                raise ClusterUnfit(f"--engine ray: {problem}")
            yield
        finally:
            if started_here:
                ray.shutdown()

    def line_counter(self, units: Any) -> Callable | None:
        if units is None or not self.count_templates_in_tasks:
            return None
        from .ray_templates import UnitLineCounter

        return partial(UnitLineCounter, units)

    def copy_linker(self) -> Callable | None:
        if not self.link_copies_in_tasks:
            return None
        from .ray_dedup import linked_by_tasks

        return linked_by_tasks

    def fold_tasks(self) -> Callable | None:
        if not (self.link_copies_in_tasks and self.fold_copies_in_tasks):
            return None
        from .ray_dedup import folded_by_tasks

        return folded_by_tasks

    def check_tasks(self) -> Callable | None:
        if not self.check_release_in_tasks:
            return None
        from .ray_checks import checked_by_tasks

        return checked_by_tasks

    def chunk_counter(self) -> Callable:
        return count_in_tasks

    def shard_tasks(self) -> Any:
        if not self.write_shards_in_tasks:
            return None
        from ..publish.data_shards import ShardTasks
        from .ray_shards import plan_by_task, shards_by_tasks, side_tables_by_tasks

        return ShardTasks(shards_by_tasks, side_tables_by_tasks, plan_by_task)

    def range_tasks(self) -> Any:
        if not self.clean_ranges_in_tasks:
            return None
        from ..corpus.ranges import RangeTasks
        from .ray_ranges import groups_by_tasks, ranges_by_tasks

        return RangeTasks(ranges_by_tasks, groups_by_tasks)

    def pool_size(self, ray: Any) -> int:
        if self.actors is not None:
            return max(1, self.actors)
        cpus = int(ray.cluster_resources().get("CPU", 1))
        return max(1, cpus - 1)

    def map_ordered(self, fn: Callable[[Item], Result], items: Iterable[Item], workers: int) -> Iterator[Result]:
        ray = _ray()
        from ray.util import ActorPool

        started_here = self._init(ray)
        actors: list[Any] = []
        try:
            size = self.pool_size(ray)
            remote = ray.remote(num_cpus=1)(StepsActor)
            actors = [remote.remote(fn) for _ in range(size)]
            log.info("ray: %d actors on %s", size, ray.get_runtime_context().gcs_address)
            pool = ActorPool(actors)
            in_flight = 0
            for item in items:
                if in_flight >= size * self.in_flight_per_actor:
                    yield _next_result(ray, pool)  # in submission order
                    in_flight -= 1
                pool.submit(lambda actor, value: actor.run.remote(value), item)
                in_flight += 1
            while pool.has_next():
                yield _next_result(ray, pool)
        finally:
            for actor in actors:
                ray.kill(actor)
            if started_here:
                ray.shutdown()


def _next_result(ray: Any, pool: Any) -> Any:
    """The pool's next result; an actor's OSError raised as itself (Ray wraps it in its own error,
    whose text is the remote traceback), so the command line can say what failed and what to do."""
    try:
        return pool.get_next()
    except ray.exceptions.RayTaskError as exc:
        if isinstance(exc.cause, OSError):
            raise exc.cause from exc
        raise


def count_in_tasks(chunks: list) -> list:
    """`readers.plan.count_here`, one Ray task per chunk: the driver reads none of the bytes."""
    from ..readers.plan import count_chunk

    ray = _ray()
    task = ray.remote(num_cpus=1)(count_chunk)
    counted = []
    for at in range(0, len(chunks), COUNT_WAVE):
        counted.extend(ray.get([task.remote(*chunk) for chunk in chunks[at:at + COUNT_WAVE]]))
    return counted
