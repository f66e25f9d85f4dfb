"""Run a function over a stream of work items, in order, in this process or a pool of processes.

Results come back in input order whatever the number of workers, and at most `workers * 2`
items are in flight, so memory stays bounded on any corpus size. Step code has no global
state, so the same `process_batch` could run on Ray or Spark unchanged.

Workers are forked from a forkserver that has imported and warmed up the pipeline once
(`pipeline.warm`): N workers do not pay N times for imports and model loading, and they share
those pages. The forkserver lives as long as this process, so the corpus stage's pool reuses it.
"""
from __future__ import annotations

import multiprocessing
from collections import deque
from concurrent.futures import ProcessPoolExecutor
from typing import Callable, Iterable, Iterator, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

# imported by the forkserver before it forks a worker ("__main__" is multiprocessing's default)
PRELOAD = ["__main__", "pipeline.warm"]


def pool_context() -> multiprocessing.context.BaseContext:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)  # no effect once the forkserver runs: that is fine
    return context


def map_ordered(fn: Callable[[Item], Result], items: Iterable[Item], workers: int = 1,
                in_flight_per_worker: int = 2) -> Iterator[Result]:
    if workers <= 1:
        for item in items:
            yield fn(item)
        return
    with ProcessPoolExecutor(max_workers=workers, mp_context=pool_context()) as pool:
        pending: deque = deque()
        for item in items:
            pending.append(pool.submit(fn, item))
            if len(pending) >= workers * in_flight_per_worker:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
