"""Run a function over a stream of work items, in order, in this process or a pool of processes.

Results come back in input order whatever the number of workers, and at most
`workers * in_flight_per_worker` items are in flight, so memory stays bounded on any corpus
size. Step code keeps no state between items beyond caches that cannot change a result (the
compiled rules, the line-verdict memo), so the same `process_batch` could run on Ray or Spark
unchanged.

One worker runs the items in this process. N workers are N children forked from a forkserver
that has imported and warmed up the pipeline once (`pipeline.warm`): they do not pay N times
for imports and model loading, and they share those pages; this process reads, stages and
writes meanwhile. (Counting this process as one of the N, taking items itself when its children
were busy, measured 1.43x with 2 workers against 1.56x for this layout on the benchmark corpus:
its own staging work then held up the items it took. bench/PROFILE.md, section 8.)
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
        pending: deque[Future] = deque()
        for item in items:
            pending.append(pool.submit(fn, item))
            if len(pending) >= workers * in_flight_per_worker:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def stop_forkserver() -> None:
    """Stop the forkserver once no pool will fork from it again in this run.

    While workers run, they share its pages (imports, model, rules); once they are gone it holds
    them alone, ~150 MB of the tree's memory through the publishing tail. Closing its "alive"
    pipe is how it is told to stop when this process exits; `_stop` does that now and waits for
    it (CPython's own method, 3.8 on; if a Python lacks it, nothing happens). The forkserver is
    one per process: a later pool, ours or a caller's, starts a new one."""
    from multiprocessing import forkserver

    stop = getattr(getattr(forkserver, "_forkserver", None), "_stop", None)
    if stop is not None:
        stop()


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
