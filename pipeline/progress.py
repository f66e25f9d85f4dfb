"""What a run reports while it works: the stage, documents read / published / rejected, MB/s and,
when the input size is known, the time left. `run` calls a `RunObserver`; the CLI passes a
`LiveProgress` on a terminal and the silent base class otherwise."""
from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Iterable, Iterator

from .document import Document

MB = 1_000_000
COMPRESSED = (".gz", ".zst", ".parquet", ".bz2", ".xz")  # file size says little of the bytes read
ETA_AFTER_SECONDS = 1.0  # before this the rate is mostly start-up, and the ETA noise
STAGES = ("reading and cleaning", "corpus stage and writing", "writing the card", "checking the release")


class RunObserver:
    """Told of a run's progress by `run`; does nothing (the API's default, and the CLI's off a TTY)."""

    def stage(self, name: str) -> None:
        """The run entered stage `name` (one of STAGES)."""

    def watch(self, docs: Iterable[Document]) -> Iterator[Document]:
        """Pass the documents read through, counting them."""
        return iter(docs)

    def documents_read(self, documents: int, nbytes: int) -> None:
        """Documents read elsewhere (a planned unit, read by a Ray actor) and their input bytes."""

    def batch(self, published: int, rejected: int) -> None:
        """A batch came back from the steps with these row counts."""

    def close(self) -> None:
        """The run ended (published or not)."""


def known_input_bytes(paths: Iterable[Path]) -> int | None:
    """Bytes the readers will hand over for these inputs, when the files' sizes tell it (no
    compressed or columnar file among them); None otherwise (no ETA is shown then)."""
    total = 0
    for path in map(Path, paths):
        files = [path] if path.is_file() else [p for p in sorted(path.rglob("*")) if p.is_file()]
        for file in files:
            if file.name.endswith(COMPRESSED):
                return None
            total += file.stat().st_size
    return total or None


class LiveProgress(RunObserver):
    """A rich progress line on stderr, redrawn ten times a second (only on a terminal)."""

    def __init__(self, total_bytes: int | None, console=None):
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TextColumn

        self.console = console or Console(stderr=True)
        self.total = total_bytes
        self.started = time.perf_counter()
        self.read = self.bytes = self.published = self.rejected = 0
        self.progress = Progress(
            TextColumn("[bold]{task.description:<26}"), BarColumn(bar_width=24),
            TextColumn("{task.fields[counts]}"), TextColumn("{task.fields[rate]}"),
            console=self.console, transient=False, refresh_per_second=10)
        self.task = self.progress.add_task(STAGES[0], total=total_bytes, counts="", rate="")
        self.progress.start()

    def stage(self, name: str) -> None:
        self._update(description=name)
        self.progress.refresh()  # now, before the stage's own log lines

    def watch(self, docs: Iterable[Document]) -> Iterator[Document]:
        shown = 0.0
        for doc in docs:
            self.read += 1
            self.bytes += _input_bytes(doc)
            now = time.perf_counter()
            if now - shown > 0.1:
                shown = now
                self._update()
            yield doc
        if self.total is not None:
            self.total = self.bytes  # all read: the estimate (which counts files no reader takes) is done
        self._update()

    def documents_read(self, documents: int, nbytes: int) -> None:
        self.read += documents
        self.bytes += nbytes
        self._update()

    def batch(self, published: int, rejected: int) -> None:
        self.published += published
        self.rejected += rejected
        self._update()

    def close(self) -> None:
        self._update()
        self.progress.stop()

    def _update(self, **fields) -> None:
        seconds = max(time.perf_counter() - self.started, 1e-9)
        rate = self.bytes / MB / seconds
        text = f"{rate:.2f} MB/s"
        if self.total and 0 < self.bytes < self.total and seconds > ETA_AFTER_SECONDS:
            text += f", ETA {_clock((self.total - self.bytes) / (self.bytes / seconds))}"
        counts = f"{self.read:,} read, {self.published:,} published, {self.rejected:,} rejected"
        self.progress.update(self.task, completed=self.bytes, total=self.total, counts=counts,
                             rate=text, **fields)


def _input_bytes(doc: Document) -> int:
    """What the reader handed over for `doc` (as the input fingerprint counts it)."""
    if doc.row is not None:
        return len(doc.row.data)
    return len((doc.raw or doc.html or "").encode("utf-8", "surrogatepass"))


def _clock(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds + 0.5), 60)
    return f"{minutes}:{seconds:02d}"


def progress_for(paths: Iterable[str | Path], quiet: bool) -> RunObserver:
    """A live progress line when stderr is a terminal and --quiet was not given, else silence."""
    if quiet or not sys.stderr.isatty():
        return RunObserver()
    paths = list(paths)
    if any("://" in str(p) for p in paths):  # an object store's input: its size is not listed here
        return LiveProgress(None)
    return LiveProgress(known_input_bytes(Path(p) for p in paths if Path(p).exists()))
