"""Repeated ids decided by key, where the rows are already in id order.

Of the corpus rows that share an id, the one with the smallest canonical input position (its
file's rank among the run's files, then its place in that file: `readers.input_position`) is
published; the others are rejected as `duplicate`, and their removals are left out. The data
rows reach the corpus stage merged in (id, POSITION) order, so rows of one id are adjacent and the
first of them is the one to keep: no set of ids is held, and the choice does not depend on the
order the inputs were given, the batch size or the number of workers.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from newsclean.schemas import Rejects, arrow_schema

POSITION = "_position"  # uint64 column of the sorted runs (data and removals), never published
POSITION_FIELD = pa.field(POSITION, pa.uint64(), nullable=False)
REPEAT_CHECK = "id: unique"
POSITIONS_SCHEMA = pa.schema([pa.field("id", pa.string(), nullable=False), POSITION_FIELD])
WINDOW_POSITIONS = 1 << 20  # staged positions a reader holds at a time (8 MiB): see `StagedPositions.windows`


def _repeat_rejects(rows: pa.Table) -> pa.Table:
    """The rejects rows of repeated ids (the same reason, check and detail as ever)."""
    ids, provenances = rows["id"].to_pylist(), rows["provenance"].to_pylist()
    return pa.Table.from_pylist(
        [{"id": doc_id, "provenance": provenance, "reason": "duplicate", "checks": [REPEAT_CHECK],
          "detail": f"id {doc_id!r} was already published", "raw": None}
         for doc_id, provenance in zip(ids, provenances)], schema=arrow_schema(Rejects))


class RepeatedIds:
    """Keeps the first row of each id from tables in (id, POSITION) order; the first pass over
    them also writes the rejects of the others (`rejects_path`, sorted by (id, provenance)) and
    remembers their positions, 8 bytes each, to leave their removals out (`without_repeats`); or,
    given `positions_path` (an id range's task), writes them there as (id, POSITION) sorted, so
    that no process need hold them all (`StagedPositions`)."""

    def __init__(self, rejects_path: Path, positions_path: Path | None = None):
        self.rejects_path = rejects_path
        self.rejects_paths = [rejects_path]  # the rejects written: this file, or one per id range (`adopt`)
        self.positions_path = positions_path
        self.decided = False  # a whole pass has written the rejects
        self.rejected = 0
        self.staged: StagedPositions | None = None  # the id ranges' files, when adopted from them
        self._positions: list[np.ndarray] = []
        self._staging: pq.ParquetWriter | None = None

    def first_of_each_id(self, tables: Iterator[pa.Table]) -> Iterator[pa.Table]:
        """The tables without the rows whose id the row before had (in this table or the last)."""
        record = not self.decided
        writer = pq.ParquetWriter(self.rejects_path, arrow_schema(Rejects)) if record else None
        if record and self.positions_path is not None:
            self._staging = pq.ParquetWriter(self.positions_path, POSITIONS_SCHEMA)
        last_id, held = None, None  # the last id seen; repeats of it not written yet (more may come)
        try:
            for table in tables:
                n = table.num_rows
                if not n:
                    continue
                ids = table["id"]
                repeat = np.zeros(n, dtype=bool)
                if n > 1:
                    repeat[1:] = pc.equal(ids.slice(1), ids.slice(0, n - 1)).to_numpy(zero_copy_only=False)
                repeat[0] = last_id is not None and ids[0].as_py() == last_id
                last_id = ids[n - 1].as_py()
                if repeat.any():
                    mask = pa.array(repeat)
                    if record:
                        held = self._write_ready(writer, table.filter(mask), held, last_id)
                    table = table.filter(pc.invert(mask))
                elif record and held is not None and held["id"][0].as_py() != last_id:
                    held = self._write_ready(writer, None, held, last_id)
                yield table
            if record:
                if held is not None:
                    self._write(writer, held)
                self.decided = True
        finally:
            if writer is not None:
                writer.close()
            if self._staging is not None:
                self._staging.close()
                self._staging = None

    def _write_ready(self, writer: pq.ParquetWriter, found: pa.Table | None, held: pa.Table | None,
                     last_id: str) -> pa.Table | None:
        """Write the repeats whose id is before `last_id` (no more of them can come); return
        those of `last_id`, held for the next table."""
        parts = [t.select(["id", "provenance", POSITION]) for t in (held, found) if t is not None]
        pending = pa.concat_tables(parts) if len(parts) > 1 else parts[0]
        at_last = pc.equal(pending["id"], last_id)
        ready = pending.filter(pc.invert(at_last))
        if ready.num_rows:
            self._write(writer, ready)
        held = pending.filter(at_last)
        return held if held.num_rows else None

    def _write(self, writer: pq.ParquetWriter, rows: pa.Table) -> None:
        rows = rows.sort_by([("id", "ascending"), ("provenance", "ascending")])
        writer.write_table(_repeat_rejects(rows))
        if self._staging is not None:  # whole ids, in id order: the file stays sorted by (id, POSITION)
            keys = rows.select(["id", POSITION]).sort_by([("id", "ascending"), (POSITION, "ascending")])
            self._staging.write_table(keys.cast(POSITIONS_SCHEMA))
        else:
            self._positions.append(rows[POSITION].to_numpy())
        self.rejected += rows.num_rows

    def adopt(self, paths: list[Path], staged: StagedPositions) -> None:
        """Take what passes over id ranges recorded (`corpus.ranges`: each range's rejects file
        and its left-out positions' file) as this pass's: decided, nothing left to write here,
        and only the files' paths and counts held."""
        self.rejects_paths, self.staged = list(paths), staged
        self.rejected = sum(staged.counts)
        self.decided = True

    def positions(self) -> pa.Array:
        """The positions of the rows left out, sorted (for `without_repeats`): all of them, in
        this process (a reader of one id range at a time takes `staged` instead)."""
        if self.staged is not None:
            return self.staged.read(None)
        every = np.sort(np.concatenate(self._positions)) if self._positions else np.zeros(0, np.uint64)
        return pa.array(every, pa.uint64())


@dataclass(frozen=True)
class StagedPositions:
    """The left-out rows' positions as the id ranges' tasks staged them: one Parquet file per
    range of (id, POSITION) sorted, with the range's ids and its count. A reader takes those of
    the ids it reads (`read`), a window of ids at a time (`windows`), never all of them."""

    files: tuple[str, ...]
    ranges: tuple[tuple[str | None, str | None], ...]
    counts: tuple[int, ...]
    window: int = WINDOW_POSITIONS  # positions a window of `windows` holds, at most (a range's, if more)

    def read(self, ids: tuple[str | None, str | None] | None) -> pa.Array:
        """The positions of the rows left out whose id is in `ids` (None: every id), sorted."""
        low, high = ids or (None, None)
        filters = ([("id", ">=", low)] if low is not None else []) + ([("id", "<", high)] if high is not None else [])
        found = []
        for path, (start, end), count in zip(self.files, self.ranges, self.counts):
            if not count or (high is not None and start is not None and start >= high) or (
                    low is not None and end is not None and end <= low):
                continue
            table = pq.read_table(path, columns=[POSITION], filters=filters or None, use_threads=False)
            found.append(table[POSITION].to_numpy())
        every = np.sort(np.concatenate(found)) if found else np.zeros(0, np.uint64)
        return pa.array(every, pa.uint64())

    def windows(self, ids: tuple[str | None, str | None] | None, most: int | None = None) -> list:
        """`ids` (None: every id) cut at the ranges' edges into windows of at most `most` (default:
        `window`) positions each (a range is never cut), in id order: [ids] when they all fit."""
        most = self.window if most is None else most
        edges: list[str | None] = [None]
        held = 0
        for (start, _), count in zip(self.ranges, self.counts):
            if held and held + count > most:
                edges.append(start)
                held = 0
            held += count
        edges.append(None)
        low, high = ids or (None, None)
        windows = []
        for start, end in zip(edges[:-1], edges[1:]):
            start = low if start is None or (low is not None and low > start) else start
            end = high if end is None or (high is not None and high < end) else end
            if start is None or end is None or start < end:
                windows.append((start, end))
        if len(windows) == 1 and ids is None and windows[0] == (None, None):
            return [None]
        return windows


def first_rows(tables: Iterator[pa.Table]) -> Iterator[pa.Table]:
    """The first row of each id of tables in (id, POSITION) order, recording nothing: for a
    reader of rows whose repeats an earlier pass has recorded (a shard of them, say)."""
    recorded = RepeatedIds(Path(os.devnull))
    recorded.decided = True
    return recorded.first_of_each_id(tables)


def without_repeats(table: pa.Table, positions: pa.Array) -> pa.Table:
    """A removals table without the rows of left-out documents, and without POSITION (a table
    that has none, such as the corpus stage's own removals, passes unchanged)."""
    if POSITION not in table.column_names:
        return table
    if len(positions):
        table = table.filter(pc.invert(pc.is_in(table[POSITION], value_set=positions)))
    return table.drop_columns([POSITION])
