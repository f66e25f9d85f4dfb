"""Readers turn input files into Documents; the file's extension picks the reader.

A new input format is one module here plus one line in READERS.
"""
from __future__ import annotations

import logging
import os
from collections import Counter
from pathlib import Path
from typing import Callable, Iterable, Iterator

from ..document import Document
from ..options import InputOptions, LimitsOptions
from .files import file_stem, valid_text
from .html import read_html_file
from .jsonl import decode_row, read_jsonl
from .parquet import read_parquet
from .remote import RemoteFile, RemoteInput
from .text import read_text_file
from .warc import read_warc

log = logging.getLogger(__name__)

# (path, provenance, options, limits) -> documents; a reader never raises for a bad file: it
# yields a rejected document saying why and where, beside the documents it could read. The path
# is a local Path or an object store's RemoteFile (`remote.py`: its name, `open("rb")`).
Reader = Callable[[Path, str, InputOptions, LimitsOptions], Iterator[Document]]

# Longest suffix first wins (".jsonl.gz" before ".gz").
READERS: dict[str, Reader] = {
    ".txt": read_text_file,
    ".html": read_html_file, ".htm": read_html_file, ".html.gz": read_html_file, ".htm.gz": read_html_file,
    ".warc": read_warc, ".warc.gz": read_warc,
    ".jsonl": read_jsonl, ".jsonl.gz": read_jsonl, ".jsonl.zst": read_jsonl,
    ".parquet": read_parquet,
}


def reader_for(path: Path | RemoteFile) -> Reader | None:
    name = path.name.lower()
    for suffix in sorted(READERS, key=len, reverse=True):
        if name.endswith(suffix):
            return READERS[suffix]
    return None


def display_path(path: Path | RemoteFile) -> str:
    """The path as provenance: relative to the working folder when inside it, never absolute;
    bytes of a name that are not UTF-8 become U+FFFD (the tables hold UTF-8). An object of an
    object store: its URI without credentials or query."""
    if isinstance(path, RemoteFile):
        return path.as_posix()
    try:
        shown = path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        shown = path.name
    return os.fsencode(shown).decode("utf-8", "replace")


def input_files(inputs: Iterable[Path | RemoteInput], skipped: Counter) -> Iterator[Path | RemoteFile]:
    """Files of the inputs in a stable order: each input as given, folders walked sorted (the
    objects under a URI's prefix, sorted)."""
    for root in inputs:
        if isinstance(root, RemoteInput):
            for item, hidden in root.objects():
                if hidden or reader_for(item) is None:
                    skipped[item.suffix.lower() or "(none)"] += 1
                    log.info("skipping %s: no reader for this kind of file", item)
                    continue
                yield item
        elif root.is_dir():
            for folder, dirs, files in os.walk(root):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    path = Path(folder) / name
                    if name.startswith(".") or reader_for(path) is None:
                        skipped[path.suffix.lower() or "(none)"] += 1
                        log.info("skipping %s: no reader for this kind of file", path)
                        continue
                    yield path
        elif root.exists():
            if reader_for(root) is None:
                skipped[root.suffix.lower() or "(none)"] += 1
                continue
            yield root
        else:
            raise FileNotFoundError(f"input not found: {root}")


# A document's position: its file's rank in the canonical order of the run's files (high 32
# bits), then its ordinal among the documents read from that file (low 32 bits).
ORDINAL_BITS = 32


def input_position(rank: int, ordinal: int) -> int:
    """The canonical position of the `ordinal`-th document of the file ranked `rank` (uint64)."""
    if rank >> ORDINAL_BITS or ordinal >> ORDINAL_BITS:
        raise ValueError(f"over {1 << ORDINAL_BITS:,} input files, or documents in one file")
    return rank << ORDINAL_BITS | ordinal


def canonical_name(path: Path | RemoteFile) -> str:
    """What orders input files canonically: the absolute path, whatever way it was given (an
    object's URI)."""
    return path.as_posix() if isinstance(path, RemoteFile) else path.resolve().as_posix()


def file_ranks(files: list[Path | RemoteFile]) -> list[int]:
    """Each file's rank in the canonical order (a file given twice: two consecutive ranks, the
    same documents either way), so no position depends on the order the inputs were given."""
    order = sorted(range(len(files)), key=lambda i: canonical_name(files[i]))
    ranks = [0] * len(files)
    for rank, i in enumerate(order):
        ranks[i] = rank
    return ranks


def read_documents(inputs: Iterable[Path | RemoteInput], skipped: Counter | None = None,
                   options: InputOptions = InputOptions(), decode: bool = True,
                   limits: LimitsOptions = LimitsOptions()) -> Iterator[Document]:
    """Every document of the inputs, in a stable order; files no reader takes are counted in `skipped`.

    Each document gets its canonical `position` (`input_position`): the files are listed first
    and ranked by `canonical_name`. `decode=False` leaves JSON records undecoded (`Document.row`)
    for the DecodeRow step, which a run does in its workers. `limits` bound each document's and
    each compressed file's size."""
    skipped = skipped if skipped is not None else Counter()
    files = list(input_files(inputs, skipped))
    for path, rank in zip(files, file_ranks(files)):
        for ordinal, doc in enumerate(_file_documents(path, options, decode, limits)):
            doc.position = input_position(rank, ordinal)
            yield doc


def _file_documents(path: Path | RemoteFile, options: InputOptions, decode: bool, limits: LimitsOptions) -> Iterator[Document]:
    provenance = display_path(path)
    try:
        for doc in reader_for(path)(path, provenance, options, limits):
            yield decode_row(doc, options, limits) if decode and doc.row is not None else doc
    except Exception as exc:  # a reader's own bug must cost one file, not the run
        yield reader_failed(path, provenance, exc)


def reader_failed(path: Path | RemoteFile, provenance: str, exc: Exception) -> Document:
    """The reject that stands for the rest of a file whose reader raised (its own bug)."""
    log.warning("reading %s failed: %r", provenance, exc)
    return Document(id=file_stem(path), raw="", provenance=provenance).reject(
        "unreadable", f"the {path.suffix} reader failed on this file: {type(exc).__name__}: {valid_text(str(exc))}")
