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
from .jsonl import read_jsonl
from .text import read_text_file

log = logging.getLogger(__name__)

Reader = Callable[[Path, str], Iterator[Document]]

# Longest suffix first wins (".jsonl.gz" before ".gz").
READERS: dict[str, Reader] = {
    ".txt": read_text_file,
    ".jsonl": read_jsonl,
}


def reader_for(path: Path) -> Reader | None:
    name = path.name.lower()
    for suffix in sorted(READERS, key=len, reverse=True):
        if name.endswith(suffix):
            return READERS[suffix]
    return None


def display_path(path: Path) -> str:
    """The path as provenance: relative to the working folder when inside it, never absolute."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.name


def input_files(inputs: Iterable[Path], skipped: Counter) -> Iterator[Path]:
    """Files of the inputs in a stable order: each input as given, folders walked sorted."""
    for root in inputs:
        if root.is_dir():
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


def read_documents(inputs: Iterable[Path], skipped: Counter | None = None) -> Iterator[Document]:
    skipped = skipped if skipped is not None else Counter()
    for path in input_files(inputs, skipped):
        yield from reader_for(path)(path, display_path(path))
