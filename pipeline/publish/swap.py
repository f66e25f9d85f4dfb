"""Swapping a release in: one atomic rename-exchange (Linux renameat2), with SIGINT and SIGTERM
held back while it runs, so that no instant leaves the published path without a complete release."""
from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import signal
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

log = logging.getLogger(__name__)


def pid_alive(pid: int) -> bool:
    """Whether process `pid` still runs: a staging folder left by a dead run may be cleared."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def exchange(a: Path, b: Path) -> None:
    """Atomically swap two paths (both must exist)."""
    libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is not None:
        at_fdcwd, rename_exchange = -100, 2
        if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
            return
        errno = ctypes.get_errno()
        log.warning("renameat2 failed (%s); falling back to two renames", os.strerror(errno))
    # Not atomic: there is a moment with no release at `b`. Only on systems without renameat2.
    parked = b.with_name(b.name + ".parked")
    os.rename(b, parked)
    os.rename(a, b)
    os.rename(parked, a)


@contextmanager
def signals_held() -> Iterator[None]:
    """SIGINT and SIGTERM held back (delivered once this ends) on this thread, on POSIX."""
    held = {signal.SIGINT, signal.SIGTERM}
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)
