"""JSON Lines (.jsonl, .jsonl.gz, .jsonl.zst): one object per line; fields named in InputOptions.

The reader only splits the file into lines: each becomes a Document holding its bytes (`row`),
and the DecodeRow step, the pipeline's first, parses it. With workers, parsing JSON then costs
the reading process nothing: it was a third of that process's work while the workers ran.

Lines are cut from the (decompressed, bounded) stream a chunk at a time: a line over
limits.max_document_bytes is rejected without being held, and runs of blank lines cost a scan,
not a Python loop per line.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from ..document import Document, PendingRow
from ..options import InputOptions, LimitsOptions
from .decode import Undecodable, decode_bytes
from .files import CHUNK, READ_ERRORS, LimitExceeded, file_stem, open_input
from .rows import row_document


# JSON nested deeper than this is rejected before decoding. Python's decoder recurses once per
# level, and where its recursion limit bites depends on the stack of whoever calls it (a worker,
# the main process, a caller's own code): the same line could decode in one run and fail in
# another. News records nest a few levels.
MAX_JSON_DEPTH = 200
JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)  # strings whole, brackets


class TooDeep(ValueError):
    """A JSON line nested deeper than MAX_JSON_DEPTH."""


def check_depth(text: str, limit: int = MAX_JSON_DEPTH) -> None:
    """Raise TooDeep when `text` nests arrays and objects deeper than `limit` (brackets inside
    strings do not count). Counting brackets bounds the depth: most lines need no scan."""
    if text.count("[") + text.count("{") <= limit:
        return
    depth = 0
    for token in JSON_TOKENS.finditer(text):
        bracket = token.group()
        if bracket in "[{":
            depth += 1
            if depth > limit:
                raise TooDeep(f"nested deeper than {limit} levels")
        elif bracket in "]}":
            depth -= 1


SPACES = re.compile(rb"[ \t\n\r\x0b\x0c]*")  # what bytes.strip() removes


class Lines:
    """The non-blank lines of a byte stream as (line number, bytes without leading blanks), or
    (number, None) for a line over `limit` bytes, which is skipped without being held. `number` is the line being
    read, for a reader that stops on an error."""

    def __init__(self, read, limit: int):
        self.read, self.limit = read, limit
        self.number = 1

    def __iter__(self):
        buf, pos, eof = bytearray(), 0, False
        while True:
            # a chunk of nothing but blank lines is seen whole by isspace() (C, ~20x the regex)
            first = len(buf) if pos == 0 and buf.isspace() else SPACES.match(buf, pos).end()
            if first == len(buf):  # the rest is blank: count its line ends, read on
                self.number += buf.count(b"\n", pos)
                buf.clear()
                pos = 0
                chunk = b"" if eof else self.read(CHUNK)
                if not chunk:
                    return
                buf += chunk
                continue
            start = first  # the line from its first non-blank byte (JSON ignores the rest)
            self.number += buf.count(b"\n", pos, start)
            end = buf.find(b"\n", first)
            while end < 0 and not eof and len(buf) - start <= self.limit:
                del buf[:start]  # bytearray drops its head in place
                start = 0
                searched = len(buf)
                chunk = self.read(CHUNK)
                if chunk:
                    buf += chunk
                    end = buf.find(b"\n", searched)
                else:
                    eof = True
            stop = len(buf) if end < 0 else end
            if stop - start > self.limit:
                yield self.number, None
                while end < 0 and not eof:  # skip to the line's end a chunk at a time
                    buf.clear()
                    chunk = self.read(CHUNK)
                    if chunk:
                        buf += chunk
                        end = buf.find(b"\n")
                    else:
                        eof = True
                if end < 0:
                    return
            else:
                yield self.number, bytes(buf[start:stop])
            pos = end + 1 if end >= 0 else len(buf)
            if end < 0:
                return
            self.number += 1


def read_jsonl(path: Path, provenance: str, options: InputOptions,
               limits: LimitsOptions = LimitsOptions()) -> Iterator[Document]:
    return _line_documents(path, provenance, limits, lambda: open_input(path, limits), first_line=1)


def read_jsonl_span(path: Path, provenance: str, limits: LimitsOptions, start: int, end: int,
                    first_line: int) -> Iterator[Document]:
    """The documents of bytes [start, end) of an uncompressed JSONL file, a range cut at line
    boundaries (`readers.plan`) whose first line is line `first_line` of the file: the same
    documents, ids and provenance as reading the whole file gives for those lines."""
    return _line_documents(path, provenance, limits, lambda: ByteSpan(path, start, end), first_line)


class ByteSpan:
    """Bytes [start, end) of a file (a local Path, or an object with `open_random_access`), read
    as a stream."""

    def __init__(self, path: Path, start: int, end: int):
        self.handle = path.open("rb") if isinstance(path, Path) else path.open_random_access()
        self.handle.seek(start)
        self.left = end - start

    def read(self, size: int = -1) -> bytes:
        size = self.left if size is None or size < 0 else min(size, self.left)
        data = self.handle.read(size) if size > 0 else b""
        self.left -= len(data)
        return data

    def __enter__(self) -> "ByteSpan":
        return self

    def __exit__(self, *exc) -> None:
        self.handle.close()


def _line_documents(path: Path, provenance: str, limits: LimitsOptions, opener, first_line: int) -> Iterator[Document]:
    stem = file_stem(path)
    lines = Lines(lambda size: b"", limits.max_document_bytes)
    lines.number = first_line
    try:
        with opener() as handle:
            lines.read = handle.read
            for number, line in lines:
                if line is None:
                    yield Document(id=f"{stem}-{number}", raw="", provenance=f"{provenance}:{number}").reject(
                        "too_large", f"line {number} is over limits.max_document_bytes "
                                     f"({limits.max_document_bytes:,} bytes); it was skipped unread")
                    continue
                yield Document(id=f"{stem}-{number}", raw="", provenance=f"{provenance}:{number}",
                               row=PendingRow(number, line))
    except LimitExceeded as exc:
        number = lines.number
        yield Document(id=f"{stem}-{number}", raw="", provenance=f"{provenance}:{number}").reject(
            exc.reason, f"lines from {number} on are not read: {exc}")
    except READ_ERRORS as exc:
        # the lines before the damage were published; the rest of the file is one reject
        number = lines.number
        yield Document(id=f"{stem}-{number}", raw="", provenance=f"{provenance}:{number}").reject(
            "unreadable", f"cannot read the file from line {number} on: "
                          f"{getattr(exc, 'strerror', None) or exc}")


def decode_row(doc: Document, options: InputOptions, limits: LimitsOptions = LimitsOptions()) -> Document:
    """The document a JSON line describes (rejected with the reason when it is not usable); the
    reader's id (`stem-line`) is the fallback when the record has none."""
    pending = doc.row
    try:
        text = decode_bytes(pending.data)
        check_depth(text)
        row = json.loads(text)
    except (Undecodable, ValueError, RecursionError) as exc:
        decoded = Document(id=doc.id, raw="", provenance=doc.provenance).reject(
            "bad_json", f"line {pending.number} is not a JSON object: {exc}")
    else:
        decoded = row_document(row, doc.id, pending.number, doc.provenance, options, limits)
    decoded.position = doc.position
    return decoded


@dataclass(frozen=True)
class DecodeRow:
    """Step 0: records the reader left undecoded become documents; others pass unchanged."""

    options: InputOptions = field(default_factory=InputOptions)
    limits: LimitsOptions = field(default_factory=LimitsOptions)
    name: str = "decode_row"

    def __call__(self, doc: Document) -> Document:
        return doc if doc.row is None else decode_row(doc, self.options, self.limits)
