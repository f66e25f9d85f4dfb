"""Run a function over a stream of work items, in order, in this process or a pool of processes.

Results come back in input order whatever the number of workers, and at most
`workers * in_flight_per_worker` items are in flight, so memory stays bounded on any corpus
size. Step code keeps no state between items beyond caches that cannot change a result (the
compiled rules, the line-verdict memo), so the same `process_batch` could run on Ray or Spark
unchanged.

One worker runs the items in this process. N workers are N children that start with the
pipeline imported and warmed up (`pipeline.warm`: the compiled rules, the language model,
dateparser), sharing those pages copy-on-write instead of paying for them N times; this process
reads, stages and writes meanwhile. (Counting this process as one of the N, taking items itself
when its children were busy, measured 1.43x with 2 workers against 1.56x for this layout on the
benchmark corpus: its own staging work then held up the items it took. bench/PROFILE.md, section 8.)

How the children start (`start_method`): forked from this process when that is safe, else from
a forkserver. Forking shares this process's imports with the children and needs no second
interpreter: against a forkserver, 130 MB less memory in all and the workers started ~1.4 s
sooner with 2 workers (bench/PROFILE.md, section 11).
"""
from __future__ import annotations

import ctypes
import gc
import importlib
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import traceback
import warnings
from collections import deque
from contextlib import contextmanager
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Callable, Iterable, Iterator, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

# imported by the forkserver before it forks a worker ("__main__" is multiprocessing's default)
PRELOAD = ["__main__", "newsclean.warm"]


def start_method() -> str:
    """"fork" on Linux when no other Python thread runs in this process, else "forkserver".

    A fork copies the locks of every thread as they are at that instant; a thread of the
    caller's holding one would leave it locked forever in the children. The native threads our
    libraries start (OpenBLAS, jemalloc, Arrow's pool) register at-fork handlers for their own
    locks; Python threads, which this check sees, give no such guarantee. Native threads of a
    caller's other libraries (gRPC, an OpenMP runtime) are not seen: a caller running them can
    hold a thread of its own, or pass `workers=1`. Off Linux fork is not the platform's default
    (macOS) or does not exist (Windows). Forked workers also inherit this process's signal and
    logging handlers, as any fork does."""
    if sys.platform == "linux" and threading.active_count() == 1:
        return "fork"
    return "forkserver"


def pool_context(method: str) -> multiprocessing.context.BaseContext:
    context = multiprocessing.get_context(method)
    if method == "forkserver":
        context.set_forkserver_preload(PRELOAD)  # no effect once the forkserver runs: that is fine
    return context


def _warmed_start_method() -> str:
    """`start_method()`, asked again once this process is warmed up for forking: the warm-up
    must not have started a thread the children would inherit."""
    if start_method() == "fork":
        for module in PRELOAD[1:]:
            importlib.import_module(module)  # warm this process up once: the children inherit it
    return start_method()


_run_froze = False  # collector_for_run froze this process: a fork may freeze more, it unfreezes all


@contextmanager
def _frozen_collector(freeze: bool) -> Iterator[Callable[[], None]]:
    """Freeze what exists now for the forks ahead: the children's collector then never writes to
    those objects (its writes would turn shared pages into private copies). Yields the function
    that unfreezes, to call once the children exist; done at the end in any case. Inside a run
    that froze the collector (`collector_for_run`), what was made since is frozen too and the
    run unfreezes it all at its end; a caller's own freeze is left alone (unfreezing would undo it)."""
    if freeze and _run_froze:
        gc.freeze()
    freeze = freeze and gc.get_freeze_count() == 0
    if freeze:
        gc.freeze()
    frozen = [freeze]

    def unfreeze() -> None:
        if frozen[0]:
            gc.unfreeze()
            frozen[0] = False

    try:
        yield unfreeze
    finally:
        unfreeze()


# During a run the youngest generation is collected every 10,000 net allocations of container
# objects instead of CPython's 700: most of a document's objects die by reference count first,
# and are then neither scanned nor promoted to the older generations. The older generations keep
# CPython's thresholds (each collected after 10 collections of the one below), so they too run
# ~14x less often.
RUN_COLLECTOR_THRESHOLDS = (10_000, 10, 10)


@contextmanager
def collector_for_run(workers: int) -> Iterator[None]:
    """The garbage collector set for a corpus run, and as it was afterwards.

    What the imports and the warm-up (`pipeline.warm`, done here unless the workers will start
    from a forkserver) built lives as long as the process: frozen, the collector's full passes
    stop walking it, in this process and in the workers forked from it. A one-worker run of
    20,000 documents spent 0.6-0.7 s in those passes and 0.35 s in the younger generations'
    (bench/PROFILE.md, section 13). A caller's own freeze is left as it is."""
    global _run_froze
    if workers <= 1 or start_method() == "fork":
        importlib.import_module("newsclean.warm")
    thresholds, callers_freeze = gc.get_threshold(), gc.get_freeze_count() > 0
    gc.set_threshold(*RUN_COLLECTOR_THRESHOLDS)
    try:
        with _frozen_collector(True):
            _run_froze = not callers_freeze
            yield
    finally:
        _run_froze = False
        gc.set_threshold(*thresholds)


@contextmanager
def _forking() -> Iterator[None]:
    """Around a fork: Python 3.12+ warns on any fork of a process with threads, native ones
    included; start_method() has ruled out the ones that matter (see there). Under -W error the
    warning would be raised in the parent after the child was made."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r".*fork\(\) may lead to deadlocks",
                                category=DeprecationWarning)
        yield


PR_SET_PDEATHSIG = 1  # prctl option (linux/prctl.h)


def die_with_parent(parent: int | None) -> None:
    """Start of every child of a run: it is killed when its parent dies, and leaves signals to it.

    A worker blocked on its task queue never sees the queue close when the main process is
    killed (forked siblings hold the other end), so without this it outlives the run: minutes,
    holding memory and the output's lock. On Linux the kernel sends SIGKILL when the parent goes
    (a forkserver's workers: when the forkserver goes, which it does when the main process does).
    `parent`: the pid this child was forked from, when known; a parent already gone before the
    request was made is caught by the parent pid having changed. Ctrl-C reaches the whole
    process group: the main process alone handles it (and stops the workers); SIGTERM kills a
    child outright (the handler the main process may have installed is not the child's)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform != "linux":
        return
    before = os.getppid()
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return
    if os.getppid() != before or (parent is not None and before != parent):
        os._exit(1)  # the parent died before the request was in place


def _stop_workers(pool: ProcessPoolExecutor) -> None:
    """Kill the pool's workers and drop its queued work: the run has failed or been interrupted,
    and waiting for the batches in flight (as a plain shutdown does) only delays the exit."""
    for process in list((getattr(pool, "_processes", None) or {}).values()):  # CPython's, 3.8 on
        if process.is_alive():
            process.kill()
    pool.shutdown(wait=True, cancel_futures=True)


def map_ordered(fn: Callable[[Item], Result], items: Iterable[Item], workers: int = 1,
                in_flight_per_worker: int = 2) -> Iterator[Result]:
    if workers <= 1:
        for item in items:
            yield fn(item)
        return
    method = _warmed_start_method()
    parent = os.getpid() if method == "fork" else None
    with _frozen_collector(method == "fork") as unfreeze, \
            ProcessPoolExecutor(max_workers=workers, mp_context=pool_context(method),
                                initializer=die_with_parent, initargs=(parent,)) as pool:
        try:
            pending: deque[Future] = deque()
            for n, item in enumerate(items):
                if n == 0:
                    with _forking():
                        pending.append(pool.submit(fn, item))  # the first submit starts every worker
                    unfreeze()
                else:
                    pending.append(pool.submit(fn, item))
                if len(pending) >= workers * in_flight_per_worker:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        except BaseException:
            _stop_workers(pool)
            raise


class Beside:
    """`fn()` started in a forked child beside what this process does next (`run_beside`)."""

    def __init__(self, fn: Callable[[], Result], workers: int):
        self.fn, self.process = fn, None
        if workers <= 1 or start_method() != "fork":
            return  # fn runs in `result`, in this process: the same result, one after the other
        context = multiprocessing.get_context("fork")
        self.receive, send = context.Pipe(duplex=False)
        parent = os.getpid()

        def child() -> None:
            die_with_parent(parent)
            try:
                outcome = (True, fn())
            except BaseException as exc:  # sent back to be raised in the parent, with its traceback
                exc.add_note("in the process beside:\n" + traceback.format_exc())
                outcome = (False, exc)
            try:
                payload = pickle.dumps(outcome)
                pickle.loads(payload)  # what the parent could not unpickle is reported, not sent
            except Exception as exc:
                payload = pickle.dumps((False, RuntimeError(
                    f"the process beside this one gave {outcome[1]!r}, which cannot be sent back: {exc!r}")))
            send.send_bytes(payload)

        self.process = context.Process(target=child, daemon=True)
        try:
            with _frozen_collector(True), _forking():
                self.process.start()
        except BaseException:
            self.receive.close()
            raise
        finally:
            send.close()

    def result(self) -> Result:
        """Wait for `fn`'s result; raise its exception. Whatever stops the wait (a signal, an
        error) stops the child too: nothing is left writing after this returns or raises."""
        if self.process is None:
            return self.fn()
        try:
            ok, value = pickle.loads(self.receive.recv_bytes())
        except EOFError:
            self.process.join()
            raise RuntimeError(f"the process beside this one died (exit code {self.process.exitcode})") from None
        except BaseException:
            self.cancel()
            raise
        finally:
            self.receive.close()
        self.process.join()
        if not ok:
            raise value
        return value

    def cancel(self) -> None:
        """Stop the child, when this process gives up before asking for the result."""
        if self.process is not None:
            if self.process.is_alive():
                self.process.kill()
            self.process.join()
            self.receive.close()


def run_beside(fn: Callable[[], Result], workers: int) -> Beside:
    """Start `fn()` in a forked child, beside what this process does next; `.result()` waits.

    With one worker, or where forking is not safe (`start_method`), `fn` runs when its result is
    asked for. The child shares this process's memory copy-on-write, so `fn` needs no pickling;
    only its result is sent back."""
    return Beside(fn, workers)


def stop_forkserver() -> None:
    """Stop the forkserver, if one runs, once no pool will fork from it again in this run.

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
