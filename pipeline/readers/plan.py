"""Work units planned ahead and read where they are processed (`--engine ray`: in the actors).

The driver lists and ranks the input files as `read_documents` does, then cuts them into units
without reading a document:

- an uncompressed JSONL file over `unit_bytes`: byte ranges cut at line boundaries, each with the
  number of its first line. Finding them means counting the newlines of fixed-size chunks of the
  file; `count` does that (in this process by default; the Ray engine runs it as tasks);
- a Parquet file of several row groups: runs of consecutive row groups of about `unit_bytes`
  (uncompressed, from the footer), each with its first row's number;
- any other file (.txt, HTML, WARC, compressed JSONL, which cannot be entered midway): whole,
  small files grouped into one unit up to `unit_bytes` or FILES_PER_UNIT files.

Units come in the files' canonical order, so the same inputs give the same plan whatever order
they were given in. A unit's documents are the ones the whole file gives for its part, with the
same ids and provenance (line and row numbers), and positions in the same order: a whole file's
are its documents' places (as `read_documents`), a range's or row groups' are its first line or
row number plus the document's place in it (increasing through the file and unique, as a piece
gives at most one document per line or row it holds). Only the order of positions decides
anything (`publish.repeats`), so the release is the same bytes as a local run's.
"""
from __future__ import annotations

import socket
from collections import Counter
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path
from typing import Callable, Iterable, Iterator

import pyarrow.parquet as pq

from ..document import Document
from ..options import InputOptions, LimitsOptions
from . import display_path, file_ranks, input_files, input_position, reader_for, reader_failed
from .files import CHUNK
from .jsonl import ByteSpan, read_jsonl_span
from .parquet import READ_FAILURES, read_parquet_groups
from .remote import RemoteFile, RemoteInput

# Whole small files (an HTML page, an article's .txt) are grouped: one unit per file would cost a
# round trip to an actor per document.
FILES_PER_UNIT = 256


@dataclass(frozen=True)
class Piece:
    """Part of one input file: all of it ("file"), bytes [start, end) of a JSONL file ("lines",
    `first` the number of its first line) or row groups [start, end) of a Parquet file
    ("row_groups", `first` the number of its first row)."""

    path: Path | RemoteFile  # a local path made absolute: the actors need not share our folder
    provenance: str  # as `display_path` shows it in the driver
    rank: int  # the file's rank in the canonical order (`readers.file_ranks`)
    kind: str = "file"
    start: int = 0
    end: int = 0
    first: int = 0


@dataclass(frozen=True)
class Unit:
    """One unit of work: what an actor reads, cleans and returns as one staged result."""

    pieces: tuple[Piece, ...]


@dataclass(frozen=True)
class ChunkLines:
    """The newlines of one chunk of a file: how many, the first one's offset in the file (-1:
    none) and whether the chunk ends with one."""

    newlines: int
    first_newline: int
    ends_line: bool


Chunk = tuple[Path | RemoteFile, int, int]  # (file, start, end)
ChunkCounter = Callable[[list[Chunk]], list[ChunkLines]]


def count_chunk(path: Path | RemoteFile, start: int, end: int) -> ChunkLines:
    """Count the newlines of bytes [start, end) of `path` (a megabyte at a time)."""
    newlines, first, at, last = 0, -1, start, b""
    with ByteSpan(path, start, end) as span:
        while data := span.read(CHUNK):
            if first < 0 and (found := data.find(b"\n")) >= 0:
                first = at + found
            newlines += data.count(b"\n")
            at += len(data)
            last = data[-1:]
    return ChunkLines(newlines, first, last == b"\n")


def count_here(chunks: list[Chunk]) -> list[ChunkLines]:
    return [count_chunk(*chunk) for chunk in chunks]


def line_spans(size: int, chunk_bytes: int, chunks: list[ChunkLines]) -> list[tuple[int, int, int]]:
    """(start, end, first line) of the ranges of a file of `size` bytes cut at the first line
    start at or after each chunk's start (a line longer than a chunk: fewer ranges)."""
    before = [0, *accumulate(chunk.newlines for chunk in chunks)]  # newlines before chunk k
    following: list[int] = [-1] * (len(chunks) + 1)  # the first chunk from k on with a newline
    for k in range(len(chunks) - 1, -1, -1):
        following[k] = k if chunks[k].first_newline >= 0 else following[k + 1]
    starts = {0: 1}
    for k in range(1, len(chunks)):
        if chunks[k - 1].ends_line:
            start, line = k * chunk_bytes, 1 + before[k]
        elif following[k] >= 0:
            m = following[k]
            start, line = chunks[m].first_newline + 1, 2 + before[m]
        else:
            break  # no line starts after this point
        if start < size:
            starts.setdefault(start, line)
    bounds = [*starts, size]
    return [(start, bounds[i + 1], starts[start]) for i, start in enumerate(bounds[:-1])]


def _size(path: Path | RemoteFile) -> int:
    return path.size if isinstance(path, RemoteFile) else path.stat().st_size


def _row_group_runs(path: Path | RemoteFile, options: InputOptions, unit_bytes: int) -> list[tuple[int, int, int]]:
    """(first group, end group, first row) of runs of row groups of about `unit_bytes`,
    from the footer; [] when the file is better read whole (unreadable, without a text column,
    one run): the reader then rejects it once, as a local run does."""
    source = None
    try:
        source = path if isinstance(path, Path) else path.open_random_access()
        meta = pq.read_metadata(source)
        names = set(meta.schema.to_arrow_schema().names)
    except READ_FAILURES:
        return []
    finally:
        if source is not None and source is not path:
            source.close()
    if options.text not in names and options.html not in names:
        return []
    runs, start, row, first_row, held = [], 0, 1, 1, 0
    for group in range(meta.num_row_groups):
        held += meta.row_group(group).total_byte_size
        row += meta.row_group(group).num_rows
        if held >= unit_bytes or group == meta.num_row_groups - 1:
            runs.append((start, group + 1, first_row))
            start, first_row, held = group + 1, row, 0
    return runs if len(runs) > 1 else []


def plan_units(inputs: Iterable[Path | RemoteInput], skipped: Counter, options: InputOptions,
               unit_bytes: int, count: ChunkCounter = count_here) -> list[Unit]:
    """The units of the inputs, in the files' canonical order; files no reader takes are counted
    in `skipped`. Reads no document: file listings, Parquet footers, and newline counts (`count`)."""
    if unit_bytes < 1:
        raise ValueError(f"unit_bytes must be 1 or more, not {unit_bytes}")
    files = list(input_files(inputs, skipped))
    ranked = sorted(zip(file_ranks(files), files), key=lambda pair: pair[0])
    planned: list[list[Piece] | Piece] = []  # per file: its pieces, or a whole file's one piece
    to_count: list[tuple[int, Piece, int]] = []  # (where in `planned`, the file, its size)
    for rank, path in ranked:
        whole = Piece(path.absolute() if isinstance(path, Path) else path, display_path(path), rank)
        size, name = _size(path), path.name.lower()
        if name.endswith(".jsonl") and size > unit_bytes:
            to_count.append((len(planned), whole, size))
            planned.append([])
        elif name.endswith(".parquet") and (runs := _row_group_runs(whole.path, options, unit_bytes)):
            planned.append([Piece(whole.path, whole.provenance, rank, "row_groups", start, end, first)
                            for start, end, first in runs])
        else:
            planned.append(whole)
    chunks = [(whole.path, at, min(at + unit_bytes, size)) for _, whole, size in to_count
              for at in range(0, size, unit_bytes)]
    counted = iter(count(chunks))
    for where, whole, size in to_count:
        lines = [next(counted) for _ in range(0, size, unit_bytes)]
        planned[where] = [Piece(whole.path, whole.provenance, whole.rank, "lines", start, end, first)
                          for start, end, first in line_spans(size, unit_bytes, lines)]
    return _units(planned, unit_bytes)


def _units(planned: list[list[Piece] | Piece], unit_bytes: int) -> list[Unit]:
    """One unit per range or run of row groups; whole files grouped, in order."""
    units: list[Unit] = []
    group: list[Piece] = []
    held = 0

    def flush() -> None:
        nonlocal group, held
        if group:
            units.append(Unit(tuple(group)))
        group, held = [], 0

    for item in planned:
        if isinstance(item, list):
            flush()
            units.extend(Unit((piece,)) for piece in item)
            continue
        size = _size(item.path)
        if group and (held + size > unit_bytes or len(group) >= FILES_PER_UNIT):
            flush()
        group.append(item)
        held += size
    flush()
    return units


def read_unit(unit: Unit, options: InputOptions, limits: LimitsOptions = LimitsOptions()) -> Iterator[Document]:
    """The documents of a planned unit, with their canonical positions; JSON lines left
    undecoded (the DecodeRow step decodes them), as a run's reading leaves them."""
    for piece in unit.pieces:
        _check_here(piece)
        for place, doc in enumerate(_piece_documents(piece, options, limits)):
            doc.position = input_position(piece.rank, piece.first + place)
            yield doc


def _check_here(piece: Piece) -> None:
    """Fail the run, not the file, when a local input is missing where the unit is read: on a
    cluster that is a node without the driver's files, and rejecting every document of them as
    unreadable would publish an empty release."""
    if isinstance(piece.path, Path) and not piece.path.exists():
        raise FileNotFoundError(
            f"input {piece.provenance} is not at {piece.path} on {socket.gethostname()}, where its unit is "
            "read; on a cluster, give object-store URIs (s3://...) or a folder every node mounts at one path")


def _piece_documents(piece: Piece, options: InputOptions, limits: LimitsOptions) -> Iterator[Document]:
    try:
        if piece.kind == "lines":
            yield from read_jsonl_span(piece.path, piece.provenance, limits, piece.start, piece.end, piece.first)
        elif piece.kind == "row_groups":
            yield from read_parquet_groups(piece.path, piece.provenance, options, limits, range(piece.start, piece.end))
        else:
            yield from reader_for(piece.path)(piece.path, piece.provenance, options, limits)
    except Exception as exc:  # a reader's own bug must cost one piece, not the run
        yield reader_failed(piece.path, piece.provenance, exc)
