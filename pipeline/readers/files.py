"""Opening input files: transparent gzip / zstd, and the file's stem without its extensions."""
from __future__ import annotations

import gzip
import io
import zlib
from pathlib import Path
from typing import BinaryIO

import zstandard

COMPRESSIONS = (".gz", ".zst")
# What reading a missing, unreadable, truncated or corrupt (compressed) file raises.
READ_ERRORS = (OSError, EOFError, zlib.error, zstandard.ZstdError)


def file_stem(path: Path) -> str:
    """'a.b.html.gz' -> 'a.b': the name without its compression suffix and its format suffix."""
    name = path.name
    for suffix in COMPRESSIONS:
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    stem, dot, _ = name.rpartition(".")
    return stem if dot and stem else name


def open_input(path: Path) -> BinaryIO:
    """The file's bytes as a stream, decompressed when its name ends in .gz or .zst.

    Corrupt compressed data raises one of READ_ERRORS on read, not here.
    """
    name = path.name.lower()
    if name.endswith(".gz"):
        return gzip.open(path, "rb")
    if name.endswith(".zst"):
        raw = path.open("rb")
        reader = zstandard.ZstdDecompressor().stream_reader(raw, closefd=True)
        return io.BufferedReader(reader)  # type: ignore[arg-type]
    return path.open("rb")


def read_input(path: Path) -> bytes:
    with open_input(path) as handle:
        return handle.read()
