"""A time limit around a call: HTML extraction's wall-clock one (a parser can stall on a
pathological page), and a CPU-time one for each document's budget (`cpu_alarm`, pipeline/steps.py).

The timer's signal interrupts pure-Python loops (most of trafilatura) and `re` matching, not one
long call into other C code: the size limits bound those. Signals reach only the main thread,
which is where documents are processed both in the worker processes and with workers=1;
elsewhere the limit is skipped.
"""
from __future__ import annotations

import logging
import signal
import threading
import time
from contextlib import contextmanager
from typing import Callable, Iterator

log = logging.getLogger(__name__)


class TimeLimitExceeded(BaseException):
    """Raised inside the limited call; a BaseException, so the parser's `except Exception` lets it pass."""


def can_limit_time() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def time_limit(seconds: float, error: type[BaseException] = TimeLimitExceeded) -> Iterator[None]:
    """Raise `error` in the body after `seconds` of wall clock. An outer timer (pytest-timeout) is
    kept: when it is due first, its own handler runs then, and it has the rest after."""
    if seconds <= 0 or not can_limit_time():
        if seconds > 0:
            log.debug("no time limit: not in the main thread")
        yield
        return
    timer, signum = signal.ITIMER_REAL, signal.SIGALRM
    previous_delay, previous_interval = signal.getitimer(timer)
    outer_first = 0 < previous_delay < seconds and callable(signal.getsignal(signum))

    def on_alarm(signum, frame):
        if outer_first:
            previous_handler(signum, frame)  # the outer limit's time is up: its handler raises
        raise error(f"took longer than {seconds:g} s")

    previous_handler = signal.signal(signum, on_alarm)
    signal.setitimer(timer, previous_delay if outer_first else seconds)
    started = time.monotonic()
    try:
        yield
    finally:
        signal.setitimer(timer, 0)
        signal.signal(signum, previous_handler)
        if previous_delay > 0:  # give the outer timer back what it has left (at least a tick)
            left = max(previous_delay - (time.monotonic() - started), 1e-3)
            signal.setitimer(timer, left, previous_interval)


@contextmanager
def cpu_alarm(error: type[BaseException]) -> Iterator[Callable[[float], float]]:
    """A CPU-time timer (its own: SIGVTALRM, so it nests with `time_limit`) for many short calls
    under one handler; a `time_limit` each would cost ~10 us. Yields `arm`: `arm(seconds)` raises
    `error` once this process has used `seconds` more of CPU time, `arm(0)` stops the timer; each
    returns what the timer had left. A signal that comes once `arm(0)` has begun is ignored, so
    the call the timer was armed for is the only place `error` can come from. Main thread only."""
    armed = [False]

    def on_alarm(signum, frame):
        if armed[0]:
            armed[0] = False
            raise error("out of CPU time")

    def arm(seconds: float) -> float:
        armed[0] = seconds > 0
        return signal.setitimer(signal.ITIMER_VIRTUAL, max(seconds, 0))[0]

    previous_handler = signal.signal(signal.SIGVTALRM, on_alarm)
    try:
        yield arm
    finally:
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        signal.signal(signal.SIGVTALRM, previous_handler)
