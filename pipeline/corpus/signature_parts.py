"""Pass 2's signatures as their readers see them: rows numbered `idx` 0.. in id order, each with
its metadata and band keys (Parquet) and its raw signature (fixed-width uint32 rows).

They are one pair of files, `signatures.parquet` and `signatures.u32` (the stream of the driver,
`dedup.SignatureWriter`), or the pairs the id ranges' tasks wrote, each numbered from 0, in range
order, listed with their rows in `signatures.parts.json` where `signatures.parquet` would be
(`write_parts_index`; `corpus/ranges.py`): no task rewrites them into one. Row `idx` of the corpus
is row `idx - start` of the part that holds it, `start` the rows of the parts before it (a prefix
sum of their counts). Every reader opens them through `SignatureParts`: the rows, the `idx`
values and the signatures it gives are the one file's, whichever way they were written.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

READ_GAP = 64  # signature rows closer than this are fetched with one read
PARTS_SUFFIX = ".parts.json"


def raw_path(path: Path) -> Path:
    """The raw signature file beside a signatures Parquet file."""
    return path.with_suffix(".u32")


def parts_index(path: Path) -> Path:
    """Where the list of parts is, when `path` (`signatures.parquet`) was written in parts."""
    return path.with_suffix(PARTS_SUFFIX)


def write_parts_index(path: Path, parts: list[Path], rows: list[int]) -> None:
    """List the id ranges' signature files (in range order) and their rows as `path`'s parts
    (an earlier run's single file at `path` removed: readers take the list when there is one)."""
    path.unlink(missing_ok=True)
    raw_path(path).unlink(missing_ok=True)
    listed = [str(Path(part).relative_to(path.parent)) for part in parts]
    parts_index(path).write_text(json.dumps({"parts": listed, "rows": rows}) + "\n", encoding="utf-8")


# A row group of the parts: (part number, row group, its first idx, its rows)
RowGroup = tuple[int, int, int, int]


@dataclass(frozen=True)
class SignatureParts:
    """The signature files in row order and the `idx` each one's rows start at."""

    paths: tuple[str, ...]
    starts: tuple[int, ...]

    @classmethod
    def of(cls, path: Path | str) -> SignatureParts:
        """The parts listed for `path`, or `path` itself (read no footer)."""
        path = Path(path)
        index = parts_index(path)
        if not index.exists():
            return cls((str(path),), (0,))
        listed = json.loads(index.read_text(encoding="utf-8"))
        starts = np.concatenate([[0], np.cumsum(listed["rows"], dtype=np.int64)[:-1]]).tolist()
        return cls(tuple(str(path.parent / part) for part in listed["parts"]), tuple(starts))

    def num_rows(self) -> int:
        """The rows of every part (their footers)."""
        return sum(pq.ParquetFile(part).metadata.num_rows for part in self.paths)

    def row_groups(self) -> list[RowGroup]:
        """Every part's row groups, in row order (one footer a part)."""
        groups = []
        for number, (part, start) in enumerate(zip(self.paths, self.starts)):
            metadata = pq.ParquetFile(part).metadata
            for group in range(metadata.num_row_groups):
                rows = metadata.row_group(group).num_rows
                groups.append((number, group, start, rows))
                start += rows
        return groups

    def read(self, groups: list[RowGroup], columns: list[str]) -> pa.Table:
        """These row groups' `columns` (`idx` as the one file numbers it), one part at a time."""
        tables = []
        for number in sorted({group[0] for group in groups}):
            wanted = [group[1] for group in groups if group[0] == number]
            file = pq.ParquetFile(self.paths[number], pre_buffer=False)
            table = file.read_row_groups(wanted, columns=columns, use_threads=False)
            tables.append(self._numbered(table, number))
        return pa.concat_tables(tables) if tables else pa.table({name: [] for name in columns})

    def column(self, name: str) -> np.ndarray:
        """One column of every row, in row order (`idx` as the one file numbers it)."""
        columns = [self._numbered(pq.ParquetFile(part, pre_buffer=False).read(columns=[name], use_threads=False),
                                  number).column(0).to_numpy() for number, part in enumerate(self.paths)]
        return columns[0] if len(columns) == 1 else np.concatenate(columns)

    def batches(self, columns: list[str] | None, rows: int, wanted: np.ndarray | None = None) -> Iterator[pa.Table]:
        """`columns` (None: all) of every row (of the parts holding some of `wanted`, sorted idx, when given),
        `rows` at a time, in row order."""
        for number in self._holding(wanted):
            file = pq.ParquetFile(self.paths[number], pre_buffer=False)
            for batch in file.iter_batches(batch_size=rows, columns=columns, use_threads=False):
                yield self._numbered(pa.Table.from_batches([batch]), number)

    def signatures(self, rows: np.ndarray, num_perm: int) -> np.ndarray:
        """The signatures of `rows` (sorted, distinct idx), read from the parts' raw files in runs
        of nearby rows: only these rows are ever in memory, whatever the corpus size."""
        out = np.empty((len(rows), num_perm), np.uint32)
        cuts = np.searchsorted(rows, np.asarray(self.starts[1:], np.int64)).tolist()
        for number, (low, high) in enumerate(zip([0, *cuts], [*cuts, len(rows)])):
            if high > low:
                local = rows[low:high] - self.starts[number]
                out[low:high] = _raw_rows(raw_path(Path(self.paths[number])), local, num_perm)
        return out

    def _holding(self, wanted: np.ndarray | None) -> list[int]:
        """The parts that hold some of `wanted` (every part when None)."""
        if wanted is None:
            return list(range(len(self.paths)))
        parts = np.searchsorted(np.asarray(self.starts, np.int64), wanted, side="right") - 1
        return np.unique(parts).tolist()

    def _numbered(self, table: pa.Table, number: int) -> pa.Table:
        """`table` of part `number` with its `idx` (if read) offset by the part's start."""
        start = self.starts[number]
        if not start or "idx" not in table.column_names:
            return table
        at = table.column_names.index("idx")
        return table.set_column(at, table.schema.field("idx"), pc.add(table["idx"], pa.scalar(start, pa.int64())))


def _raw_rows(path: Path, rows: np.ndarray, num_perm: int) -> np.ndarray:
    """Rows `rows` (sorted, distinct) of one raw signature file."""
    out = np.empty((len(rows), num_perm), np.uint32)
    if not len(rows):
        return out
    width = 4 * num_perm
    breaks = np.nonzero(np.diff(rows) > READ_GAP)[0] + 1
    starts = np.concatenate([[0], breaks]).tolist()
    ends = np.concatenate([breaks, [len(rows)]]).tolist()
    with open(path, "rb") as handle:
        for start, end in zip(starts, ends):
            first = int(rows[start])
            count = int(rows[end - 1]) - first + 1
            handle.seek(first * width)
            block = np.frombuffer(handle.read(count * width), np.uint32).reshape(count, num_perm)
            out[start:end] = block[rows[start:end] - first]
    return out


__all__ = ["PARTS_SUFFIX", "RowGroup", "SignatureParts", "parts_index", "raw_path", "write_parts_index"]
