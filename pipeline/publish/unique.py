"""`id` and `content_hash` unique across the corpus shards, in memory that does not grow with
the corpus.

Ids: a release's shards hold them in id order, so they are unique when they ascend strictly from
the first row of the first shard to the last of the last; that is checked streaming, holding one
id. Only a release whose ids do not ascend (not written by newsclean, or changed since) has its
ids hashed like the text hashes.

Text hashes (`content_hash`, random): every value is hashed to 64 bits; the keys are sorted and
the repeated ones found, a bucket at a time: with more than BUCKET_BYTES of keys, they are first
spilled to temporary files by their top bits (8 bytes a row on disk), and one file is sorted at a
time. A value can repeat only if its key does, so the values kept as strings for the exact test
are the few whose key repeats (none, mostly).
"""
from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..executor import release_memory
from .storage import Release

UNIQUE = ("id", "content_hash")  # corpus columns unique across shards
KEY_ROWS = 16_384  # values per batch hashed when looking for repeats across shards
BUCKET_BYTES = 64 << 20  # keys sorted in memory at once; more are spilled to files by their top bits
SPILL_KEYS = 1 << 20  # keys buffered before they are appended to the bucket files
READ_ERRORS = (OSError, pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError)


def value_keys(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A 64-bit hash of each value (uint64; equal values, equal keys), KEY_ROWS values at a time."""
    values = values.cast(pa.string())
    parts = [pd.util.hash_array(values.slice(start, KEY_ROWS).to_numpy(zero_copy_only=False), categorize=False)
             for start in range(0, len(values), KEY_ROWS)]
    return np.concatenate(parts) if parts else np.zeros(0, np.uint64)


def _repeats_of(keys: np.ndarray) -> np.ndarray:
    keys = np.sort(keys)
    return np.unique(keys[1:][keys[1:] == keys[:-1]])


class RepeatedKeys:
    """The uint64 keys added more than once. Up to BUCKET_BYTES of keys are sorted in memory;
    beyond that (`expected` keys tell), they go to 2**bits files by their top bits, each sorted
    on its own: memory BUCKET_BYTES or so, whatever the number of keys."""

    def __init__(self, expected: int):
        self.bits = 0
        while (expected * 8) >> self.bits > BUCKET_BYTES:
            self.bits += 1
        self.parts: list[np.ndarray] = []
        self.buffered = 0
        self.folder = tempfile.TemporaryDirectory(prefix="newsclean-keys-") if self.bits else None

    def _bucket(self, number: int) -> Path:
        return Path(self.folder.name) / f"bucket-{number:05d}.u64"

    def add(self, keys: np.ndarray) -> None:
        self.parts.append(keys)
        self.buffered += len(keys)
        if self.bits and self.buffered >= SPILL_KEYS:
            self._spill()

    def _spill(self) -> None:
        keys = np.concatenate(self.parts) if self.parts else np.zeros(0, np.uint64)
        self.parts, self.buffered = [], 0
        buckets = keys >> np.uint64(64 - self.bits)
        order = np.argsort(buckets, kind="stable")
        keys, buckets = keys[order], buckets[order]
        bounds = np.searchsorted(buckets, np.arange((1 << self.bits) + 1, dtype=np.uint64))
        for number in range(1 << self.bits):
            lo, hi = bounds[number], bounds[number + 1]
            if hi > lo:
                with open(self._bucket(number), "ab") as handle:
                    keys[lo:hi].tofile(handle)

    def repeated(self) -> np.ndarray:
        """The keys added twice or more, sorted; the temporary files are removed."""
        if not self.bits:
            return _repeats_of(np.concatenate(self.parts) if self.parts else np.zeros(0, np.uint64))
        try:
            self._spill()
            found = [_repeats_of(np.fromfile(self._bucket(n), np.uint64))
                     for n in range(1 << self.bits) if self._bucket(n).exists()]
            release_memory()
            return np.concatenate(found) if found else np.zeros(0, np.uint64)
        finally:
            self.folder.cleanup()


def _ascending(ids: pa.Array | pa.ChunkedArray, last: str | None) -> bool:
    """Whether these ids ascend strictly, and from above `last` (no null among them)."""
    if ids.null_count:
        return False
    if last is not None and len(ids) and not ids[0].as_py() > last:
        return False
    if len(ids) < 2:
        return True
    return bool(pc.all(pc.less(ids.slice(0, len(ids) - 1), ids.slice(1))).as_py())


class AcrossShards:
    """The cross-shard uniqueness checks. Same reports, same order, as a set of every value.
    `within`: a value repeated inside one shard is reported too (else only a value an earlier
    shard held; pandera reports repeats inside a shard when it checks its rows)."""

    def __init__(self, release: Release | None, names: list[str], within: bool):
        self.within = within
        self.seen: dict[str, set] = {column: set() for column in UNIQUE}
        self.repeated: dict[str, np.ndarray] | None = None  # None: every value is a candidate
        if release is None:
            return
        try:
            readable, rows = [], 0
            for name in names:
                with release.fs.open_input_file(release.path(name)) as handle:
                    footer = pq.read_metadata(handle)
                # a shard without both columns fails its schema check and is not read further
                if set(UNIQUE) <= set(footer.schema.to_arrow_schema().names):
                    readable.append(name)
                    rows += footer.num_rows
            hashes, ordered, last = RepeatedKeys(rows), True, None
            for batch in self._batches(release, readable, list(UNIQUE)):
                if ordered:
                    ordered = _ascending(batch.column("id"), last)
                    last = batch.column("id")[-1].as_py() if len(batch) else last
                hashes.add(value_keys(batch.column("content_hash")))
            self.repeated = {"content_hash": hashes.repeated()}
            if ordered:
                self.repeated["id"] = np.zeros(0, np.uint64)
            else:  # ids out of order: hashed like the text hashes
                ids = RepeatedKeys(rows)
                for batch in self._batches(release, readable, ["id"]):
                    ids.add(value_keys(batch.column("id")))
                self.repeated["id"] = ids.repeated()
        except READ_ERRORS:
            self.repeated = None  # the exact test on every value, as before
        finally:
            release_memory()

    @staticmethod
    def _batches(release: Release, names: list[str], columns: list[str]) -> Iterator[pa.RecordBatch]:
        for name in names:
            with release.fs.open_input_file(release.path(name)) as handle:
                yield from pq.ParquetFile(handle, pre_buffer=False).iter_batches(batch_size=KEY_ROWS, columns=columns,
                                                               use_threads=False)

    def _candidates(self, column: str, values: pa.ChunkedArray | pa.Array) -> np.ndarray:
        if self.repeated is None:
            return np.arange(len(values))
        if not len(self.repeated[column]):
            return np.zeros(0, np.int64)
        return np.flatnonzero(np.isin(value_keys(values), self.repeated[column]))

    def check(self, name: str, table: pa.Table, report) -> None:
        """The rows of one shard (its `id` and `content_hash` columns at least), in order."""
        for column in UNIQUE:
            positions = self._candidates(column, table[column])
            if not len(positions):
                continue
            at = pa.array(positions, pa.int64())
            self.record(name, column, table[column].take(at).to_pylist(), table["id"].take(at).to_pylist(), report)

    def record(self, name: str, column: str, values: list, ids: list, report) -> None:
        """One shard's candidates of `column` (values and their rows' ids, in row order), after
        those of the shards before it: a value seen before is reported."""
        seen = self.seen[column]
        for value, row_id in zip(values, ids):
            if value in seen:
                report.add(name, f"{column}: unique across shards", row_id, value)
            if self.within:
                seen.add(value)
        if not self.within:
            seen.update(values)

    def check_file(self, release: Release, name: str, report) -> None:
        with release.fs.open_input_file(release.path(name)) as handle:
            self.check(name, pq.ParquetFile(handle).read(columns=list(UNIQUE), use_threads=False), report)
