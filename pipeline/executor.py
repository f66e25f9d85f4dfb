"""Run a function over a stream of work items, in order, in this process or a pool of processes.

Results come back in input order whatever the number of workers, and at most
`workers * in_flight_per_worker` items are in flight, so memory stays bounded on any corpus
size. Step code has no global state, so the same `process_batch` could run on Ray or Spark
unchanged.

`workers` counts processes doing the work, this one included: N workers are this process and
N - 1 children. This process takes an item itself whenever its children already have their fill,
so it works instead of waiting, and one process fewer holds the pipeline's imports and models.

Two or more children are forked from a forkserver that has imported and warmed up the pipeline
once (`pipeline.warm`): they do not pay N times for imports and model loading, and they share
those pages. A single child is spawned instead: a forkserver beside one child would be one more
process holding the same pages (~150 MB resident) for nothing to share them with.
"""
from __future__ import annotations

import multiprocessing
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Callable, Iterable, Iterator, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

# imported by the forkserver before it forks a worker ("__main__" is multiprocessing's default)
PRELOAD = ["__main__", "pipeline.warm"]


def pool_context(children: int = 2) -> multiprocessing.context.BaseContext:
    if children <= 1:
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)  # no effect once the forkserver runs: that is fine
    return context


def _done(result) -> Future:
    future: Future = Future()
    future.set_result(result)
    return future


def map_ordered(fn: Callable[[Item], Result], items: Iterable[Item], workers: int = 1,
                in_flight_per_worker: int = 2) -> Iterator[Result]:
    if workers <= 1:
        for item in items:
            yield fn(item)
        return
    children = workers - 1
    limit = workers * in_flight_per_worker
    with ProcessPoolExecutor(max_workers=children, mp_context=pool_context(children)) as pool:
        pending: deque[Future] = deque()
        submitted: set[Future] = set()
        for item in items:
            submitted = {f for f in submitted if not f.done()}
            if len(submitted) < children * in_flight_per_worker:
                future = pool.submit(fn, item)
                submitted.add(future)
            else:  # the children have their fill: this process does the item
                future = _done(fn(item))
            pending.append(future)
            while pending and (pending[0].done() or len(pending) >= limit):
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


_LIBC = None


def release_memory() -> None:
    """Hand freed memory back to the system: glibc's free heap pages (`malloc_trim`) and Arrow's
    pool. The main process frees large blocks at every spill and slice; without this its heap
    keeps the high-water mark of everything it ever held. No effect off glibc."""
    global _LIBC
    import pyarrow as pa

    pa.default_memory_pool().release_unused()
    try:
        if _LIBC is None:
            import ctypes
            import ctypes.util
            _LIBC = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        _LIBC.malloc_trim(0)
    except (OSError, AttributeError):
        pass
