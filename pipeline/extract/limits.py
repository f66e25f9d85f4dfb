"""A wall-clock limit around a call, for parsers that can stall on a pathological page.

SIGALRM interrupts pure-Python loops (most of trafilatura), not one long C call: the size limit
in ExtractHtml bounds those. Signals reach only the main thread, which is where documents are
processed both in the worker processes and with workers=1; elsewhere the limit is skipped.
"""
from __future__ import annotations

import logging
import signal
import threading
import time
from contextlib import contextmanager
from typing import Iterator

log = logging.getLogger(__name__)


class TimeLimitExceeded(BaseException):
    """Raised inside the limited call; a BaseException, so the parser's `except Exception` lets it pass."""


def can_limit_time() -> bool:
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


@contextmanager
def time_limit(seconds: float) -> Iterator[None]:
    """Raise TimeLimitExceeded in the body after `seconds`; an outer timer (pytest-timeout) is kept."""
    if seconds <= 0 or not can_limit_time():
        if seconds > 0:
            log.debug("no time limit: not in the main thread")
        yield
        return

    def on_alarm(signum, frame):
        raise TimeLimitExceeded(f"took longer than {seconds:g} s")

    previous_handler = signal.signal(signal.SIGALRM, on_alarm)
    previous_delay, previous_interval = signal.setitimer(signal.ITIMER_REAL, seconds)
    started = time.monotonic()
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous_handler)
        if previous_delay > 0:  # give the outer timer back what it has left (at least a tick)
            left = max(previous_delay - (time.monotonic() - started), 1e-3)
            signal.setitimer(signal.ITIMER_REAL, left, previous_interval)
