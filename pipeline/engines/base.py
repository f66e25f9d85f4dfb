"""The engine contract, and the local engine (a process pool on this machine)."""
from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Protocol, TypeVar

from ..executor import map_ordered

Item = TypeVar("Item")
Result = TypeVar("Result")


class Engine(Protocol):
    """Runs `fn` over `items`, giving the results in input order with a bounded number in flight."""

    name: str
    stages_units: bool  # results staged per unit, so that a run cut short resumes (engines.staging)
    # None: the driver reads the inputs and sends batches of documents; a number: it only plans
    # units of about that many input bytes (`readers.plan`), which the workers read themselves
    unit_bytes: int | None
    # where the units are staged (a folder or an object-store URI, `staging.stage_for`); None:
    # beside the output
    stage: str | None

    def map_ordered(self, fn: Callable[[Item], Result], items: Iterable[Item], workers: int) -> Iterator[Result]:
        ...

    def session(self) -> AbstractContextManager:
        """Around the whole run: what the engine keeps up between its stages (a Ray connection)."""
        ...

    def line_counter(self, units: Any) -> Callable | None:
        """The corpus stage's template-line counter maker (`corpus.stage.LineCounterMaker`) for a
        run whose units are staged in `units` (a `staging.UnitStage`, or None); None: the driver's."""
        ...

    def copy_linker(self) -> Callable | None:
        """What links exact and near copies (`corpus.dedup.Linker`); None: the driver's `_linked`."""
        ...

    def fold_tasks(self) -> Callable | None:
        """What finds the copies' links, clusters and canonical rows and stages the fold on disk
        (`corpus.fold_files.FoldTasks`); None: the driver holds them (`dedup.cluster`)."""
        ...

    def check_tasks(self) -> Callable | None:
        """What runs the publish check of the data shards (`publish.release.CheckTasks`); None:
        the driver (`validate.validate_files`)."""
        ...

    def chunk_counter(self) -> Callable | None:
        """What counts the newlines of JSONL chunks when planning units (`readers.plan.ChunkCounter`);
        None: the driver does."""
        ...

    def shard_tasks(self) -> Any:
        """What writes each shard on its own (`publish.data_shards.ShardTasks`); None: the
        driver streams the rows into them."""
        ...

    def range_tasks(self) -> Any:
        """What merges the sorted data runs down and runs pass 2 of the corpus stage over id ranges
        of them, each on its own (`corpus.ranges.RangeTasks`); None: the driver streams both."""
        ...


@dataclass(frozen=True)
class LocalEngine:
    """This process, or `workers` processes forked from it (`executor.map_ordered`)."""

    name: str = "local"
    # not staged: one machine's run is cheaper to redo than to write every batch's results twice
    stages_units: bool = False
    unit_bytes: None = None  # this process reads, its forked workers get batches of documents
    stage: None = None  # nothing staged

    def map_ordered(self, fn: Callable[[Item], Result], items: Iterable[Item], workers: int) -> Iterator[Result]:
        return map_ordered(fn, items, workers=workers)

    def session(self) -> AbstractContextManager:
        return nullcontext()

    def line_counter(self, units: Any) -> None:
        return None  # counted in this process, as the batches come (corpus.templates.LineCounter)

    def copy_linker(self) -> None:
        return None  # linked in this process (corpus.dedup._linked)

    def fold_tasks(self) -> None:
        return None  # clustered and folded in this process, the fold held in memory (corpus.dedup.cluster)

    def check_tasks(self) -> None:
        return None  # the data shards checked in this process (publish.validate.validate_files)

    def chunk_counter(self) -> None:
        return None  # plans no units

    def shard_tasks(self) -> None:
        return None  # one stream per table in this process: no rows read twice, no task to start

    def range_tasks(self) -> None:
        return None  # one stream in this process (its forked workers strip and sign the slices)


def engine_named(name: str, address: str | None = None, workers: int | None = None,
                 unit_bytes: int | None = None, stage: str | None = None) -> Engine:
    """The engine the CLI's `--engine NAME [--address ADDR] [--workers N] [--unit-mb MB]
    [--stage URI]` asks for (with Ray, N actors, by default one fewer than the cluster's CPUs,
    units of MB, staged in URI)."""
    if name == "local":
        if address is not None:
            raise ValueError("--address is for --engine ray (the Ray cluster to join)")
        if unit_bytes is not None:
            raise ValueError("--unit-mb is for --engine ray (the local engine reads in one process)")
        if stage is not None:
            raise ValueError("--stage is for --engine ray (the local engine stages no units)")
        return LocalEngine()
    if name == "ray":
        from .ray_actors import UNIT_BYTES, RayEngine, ray_missing

        if ray_missing():
            raise ValueError("--engine ray needs Ray: pip install 'newsclean[ray]'")
        if unit_bytes is not None and unit_bytes < 1:
            raise ValueError(f"--unit-mb must be over 0, not {unit_bytes / 1e6:g}")
        if stage is not None and not str(stage).strip():
            raise ValueError("--stage must name a folder or an object-store URI")
        return RayEngine(address=address, actors=workers, unit_bytes=unit_bytes or UNIT_BYTES, stage=stage)
    raise ValueError(f"unknown engine {name!r}; known: local, ray")
