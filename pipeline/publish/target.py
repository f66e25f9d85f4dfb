"""Where a run may publish, checked before any work, and the lock that keeps one run per output.

A release replaces the folder at `--out` whole, so that folder must be one a run may replace:
absent, empty, or a previous newsclean release holding nothing its manifest does not list (a
user's files are never swapped out and deleted); `force` lifts only that last condition. An
output that is, holds, or sits inside an input is refused even with `force`: the run would read
its own output, or replace the articles it reads.
"""
from __future__ import annotations

import errno
import fcntl
import json
import os
from pathlib import Path
from typing import Iterable

# Written by every release beside its tables; manifest_check.METADATA_FILES lists those it checksums.
RELEASE_FILES = ("manifest.json", "README.md", "croissant.json", "report.html")
SHOWN_FILES = 3  # unlisted files named in a refusal


class OutputRefused(ValueError):
    """The output folder is not one a run may write to; the message says why and what to do."""


class OutputLocked(RuntimeError):
    """Another run holds the output's lock."""


def lock_path(out: Path) -> Path:
    """The lock file: beside the output (never inside the release), in the folder the swap
    happens in."""
    return out.parent / f".{out.name}.lock"


def check_output(out: Path, inputs: Iterable[Path], force: bool = False) -> None:
    """Raise OutputRefused unless a run may publish at `out` (see the module's docstring)."""
    target = out.resolve()
    here = Path.cwd().resolve()
    if target == here or here.is_relative_to(target) or target.parent == target:
        raise OutputRefused(f"--out {out} is the current folder or one holding it; "
                            "name a folder of its own for the release, e.g. --out dist")
    for given in inputs:
        if not isinstance(given, Path):
            continue  # an object store's input (a URI): no local output can be inside it
        source = given.resolve()
        if target == source or target.is_relative_to(source):
            raise OutputRefused(f"--out {out} is inside the input {given}; the run would replace "
                                "or read its own output: choose an output outside every input")
        if source.is_relative_to(target):
            raise OutputRefused(f"the input {given} is inside --out {out}, which the release replaces; "
                                "choose an output outside every input")
    if not os.path.lexists(out):
        return
    if not out.is_dir():
        raise OutputRefused(f"--out {out} is a file, not a folder; choose another --out (the file is left as it is)")
    if force or not any(out.iterdir()):
        return
    unlisted = _unlisted(out)
    if unlisted is None:
        raise OutputRefused(f"--out {out} is not empty and not a newsclean release (no manifest.json of "
                            "ours), so a run would delete its files; choose another --out, or pass "
                            "--force to replace it")
    if unlisted:
        shown = ", ".join(unlisted[:SHOWN_FILES]) + (" ..." if len(unlisted) > SHOWN_FILES else "")
        raise OutputRefused(f"--out {out} is a newsclean release but also holds files its manifest does not "
                            f"list ({shown}), which a new release would delete; move them out, or pass "
                            "--force to replace the folder")


def _unlisted(out: Path) -> list[str] | None:
    """The files and folders under `out` that its manifest does not account for, sorted; None
    when `out` has no newsclean manifest."""
    try:
        manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
        if manifest["producer"]["package"] != "newsclean":
            return None
        listed = {entry["path"] for entry in manifest["files"]} | set(RELEASE_FILES)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    folders = {parent.as_posix() for name in listed for parent in Path(name).parents} - {"."}
    found = []
    for path in sorted(out.rglob("*")):
        name = path.relative_to(out).as_posix()
        if name not in listed and not (path.is_dir() and not path.is_symlink() and name in folders):
            found.append(name)
    return found


class OutputLock:
    """An exclusive `flock` on `lock_path(out)`, held for the whole run.

    The kernel drops the lock when the process dies, however it dies (kill -9 included), so no
    stale lock can stop a later run; the lock file itself stays (removing it would let two runs
    lock two different files)."""

    def __init__(self, out: Path):
        self.out, self.path = out, lock_path(out)
        self.fd: int | None = None

    def __enter__(self) -> "OutputLock":
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise OutputLocked(f"another newsclean run is writing to {self.out} "
                                   f"(it holds the lock {self.path}); wait for it to finish") from None
            raise
        self.fd = fd
        return self

    def __exit__(self, *exc_info) -> None:
        if self.fd is not None:
            os.close(self.fd)  # closing the last descriptor releases the lock
            self.fd = None
