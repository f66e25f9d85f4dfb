"""Opening input files: transparent gzip / zstd, bounded by [limits]; the file's stem; repaired names."""
from __future__ import annotations

import gzip
import io
import os
import zlib
from pathlib import Path
from typing import BinaryIO

import zstandard

from ..options import LimitsOptions

COMPRESSIONS = (".gz", ".zst")
# What reading a missing, unreadable, truncated or corrupt (compressed) file raises.
READ_ERRORS = (OSError, EOFError, zlib.error, zstandard.ZstdError)
CHUNK = 1 << 20  # bytes read at a time: bounded memory whatever the file holds


class LimitExceeded(ValueError):
    """An input over one of the [limits]; `reason` is the rejection code, the message names the limit."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason


def valid_text(text: str) -> str:
    """`text` with lone UTF-16 surrogates (JSON "\\ud800", undecodable file names) replaced by
    U+FFFD and split pairs joined: a surrogate cannot be written as UTF-8, so one would stop the
    run where the tables are built."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def file_stem(path: Path) -> str:
    """'a.b.html.gz' -> 'a.b': the name without its compression suffix and its format suffix."""
    name = os.fsencode(path.name).decode("utf-8", "replace")  # an undecodable name: U+FFFD
    for suffix in COMPRESSIONS:
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
            break
    stem, dot, _ = name.rpartition(".")
    return stem if dot and stem else name


class Bounded(io.RawIOBase):
    """A decompressing stream that raises LimitExceeded past `limit` bytes: a small file that
    inflates to terabytes costs a reject, not the disk or the memory."""

    def __init__(self, stream: BinaryIO, limit: int):
        super().__init__()
        self.stream, self.limit, self.total = stream, limit, 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        allowed = self.limit - self.total
        if allowed <= 0:
            if self.stream.read(1):
                raise LimitExceeded("too_large", f"the file decompresses to more than limits."
                                    f"max_decompressed_bytes ({self.limit:,} bytes); the rest is not read")
            return b""
        data = self.stream.read(allowed if size is None or size < 0 else min(size, allowed))
        self.total += len(data)
        return data

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self.stream.close()
        super().close()


def open_input(path: Path, limits: LimitsOptions | None = None) -> BinaryIO:
    """The file's bytes as a stream, decompressed when its name ends in .gz or .zst, and then
    bounded by `limits.max_decompressed_bytes`. `path`: a local Path, or anything with its
    `name` and `open("rb")` (`remote.RemoteFile`).

    Corrupt compressed data raises one of READ_ERRORS on read, not here.
    """
    name = path.name.lower()
    if name.endswith(".gz"):
        if isinstance(path, Path):
            stream: BinaryIO = gzip.open(path, "rb")
        else:
            stream = gzip.GzipFile(fileobj=path.open("rb"), mode="rb")
            stream.myfileobj = stream.fileobj  # closed with the GzipFile, as a file it opened is
    elif name.endswith(".zst"):
        raw = path.open("rb")
        reader = zstandard.ZstdDecompressor().stream_reader(raw, closefd=True)
        stream = io.BufferedReader(reader)  # type: ignore[arg-type]
    else:
        return path.open("rb")
    return Bounded(stream, limits.max_decompressed_bytes) if limits is not None else stream  # type: ignore[return-value]


def read_exactly(handle: BinaryIO, size: int) -> bytes:
    """Up to `size` bytes, fewer only at the end of the stream."""
    parts, got = [], 0
    while got < size:
        data = handle.read(min(CHUNK, size - got))
        if not data:
            break
        parts.append(data)
        got += len(data)
    return b"".join(parts)


def read_input(path: Path, limits: LimitsOptions = LimitsOptions()) -> bytes:
    """The whole file as one document's bytes; LimitExceeded past limits.max_document_bytes
    (read no further than one byte past it)."""
    with open_input(path, limits) as handle:
        data = read_exactly(handle, limits.max_document_bytes + 1)
    check_document_bytes(len(data), limits)
    return data


def check_document_bytes(size: int, limits: LimitsOptions) -> None:
    if size > limits.max_document_bytes:
        raise LimitExceeded("too_large", f"the document is over limits.max_document_bytes "
                            f"({limits.max_document_bytes:,} bytes)")


def check_lines(text: str, limits: LimitsOptions) -> None:
    """LimitExceeded when a line of `text` is over limits.max_line_chars: a blob, not prose, and
    what makes line rules slow."""
    limit = limits.max_line_chars
    if len(text) <= limit:
        return
    longest = max(map(len, text.splitlines()), default=0)
    if longest > limit:
        raise LimitExceeded("line_too_long", f"a line of {longest:,} characters is over "
                            f"limits.max_line_chars ({limit:,})")
