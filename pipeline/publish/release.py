"""A release is built in a staging folder beside the published one and swapped in only when valid.

A run killed at any moment leaves the previous release as it was: before the swap nothing of it
was touched; the swap itself is one atomic rename-exchange (Linux renameat2), so there is no
instant without a complete release at the published path.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import json
import logging
import os
import shutil
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from schemas import Corpus, Rejects, Removals, arrow_schema

from ..options import PublishOptions
from .shards import sort_table, write_parquet, write_sorted
from .validate import sha256_file, validate_release

log = logging.getLogger(__name__)

SPILL_BYTES = 64 << 20  # sorted runs of about this much Arrow data: bounds memory at any corpus size
KEYS = {"data": ("id",), "removals": ("id", "line"), "rejects": ("id", "provenance")}
PREFIX = {"data": "train", "removals": "removals", "rejects": "rejects"}
MODELS = {"data": Corpus, "removals": Removals, "rejects": Rejects}


class ReleaseFailed(RuntimeError):
    """The new release could not be completed; the published folder is untouched."""


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _exchange(a: Path, b: Path) -> None:
    """Atomically swap two paths (both must exist)."""
    libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is not None:
        at_fdcwd, rename_exchange = -100, 2
        if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
            return
        errno = ctypes.get_errno()
        log.warning("renameat2 failed (%s); falling back to two renames", os.strerror(errno))
    # Not atomic: there is a moment with no release at `b`. Only on systems without renameat2.
    parked = b.with_name(b.name + ".parked")
    os.rename(b, parked)
    os.rename(a, b)
    os.rename(parked, a)


class ReleaseBuilder:
    """Collects validated batches, keeps ids and texts unique, writes and swaps the release."""

    def __init__(self, out: Path, options: PublishOptions):
        self.out = out
        self.options = options
        self.staging = out.parent / f".{out.name}.staging-{os.getpid()}"
        self._clear_dead_staging()
        self.runs_dir = self.staging / ".runs"
        self.runs_dir.mkdir(parents=True)
        self.buffers: dict[str, list[pa.Table]] = {kind: [] for kind in KEYS}
        self.buffered_bytes = 0
        self.runs: dict[str, list[Path]] = {kind: [] for kind in KEYS}
        self.seen_ids: set[str] = set()
        self.seen_hashes: set[str] = set()
        self.counts: Counter = Counter()
        self.removed_by_rule: Counter = Counter()
        self.rejected_by_reason: Counter = Counter()

    def _clear_dead_staging(self) -> None:
        for path in self.out.parent.glob(f".{self.out.name}.staging-*"):
            pid = path.name.rsplit("-", 1)[-1]
            if not pid.isdigit() or not _pid_alive(int(pid)) or int(pid) == os.getpid():
                shutil.rmtree(path, ignore_errors=True)

    def add(self, data: pa.Table, removals: pa.Table, rejects: pa.Table) -> None:
        """One processed batch, in input order; the first of two equal ids or texts wins."""
        data, removals, dup_rejects = self._drop_repeats(data, removals)
        rejects = pa.concat_tables([rejects, dup_rejects]) if dup_rejects.num_rows else rejects
        self.counts["published"] += data.num_rows
        self.counts["rejected"] += rejects.num_rows
        self.counts["removed_lines"] += removals.num_rows
        self.removed_by_rule.update(removals["rule"].to_pylist())
        self.rejected_by_reason.update(rejects["reason"].to_pylist())
        for kind, table in (("data", data), ("removals", removals), ("rejects", rejects)):
            if table.num_rows:
                self.buffers[kind].append(table)
                self.buffered_bytes += table.nbytes
        if self.buffered_bytes >= SPILL_BYTES:
            self._spill()

    def _drop_repeats(self, data: pa.Table, removals: pa.Table):
        ids, hashes = data["id"].to_pylist(), data["content_hash"].to_pylist()
        keep, rejected, reasons = [], [], []
        for i, (doc_id, digest) in enumerate(zip(ids, hashes)):
            if doc_id in self.seen_ids:
                rejected.append(i)
                reasons.append(("id: unique", f"id {doc_id!r} was already published"))
            elif digest in self.seen_hashes:
                rejected.append(i)
                reasons.append(("content_hash: unique", "the same clean text was already published"))
            else:
                keep.append(i)
                self.seen_ids.add(doc_id)
                self.seen_hashes.add(digest)
        if not rejected:
            return data, removals.drop_columns(["_row"]), _empty(Rejects)
        dup = data.take(pa.array(rejected, pa.int64())).to_pylist()
        rows = [{"id": row["id"], "provenance": row["provenance"], "reason": "duplicate",
                 "checks": [check], "detail": detail, "raw": None}
                for row, (check, detail) in zip(dup, reasons)]
        mask = pc.is_in(removals["_row"], value_set=pa.array(keep, pa.int64()))
        return (data.take(pa.array(keep, pa.int64())), removals.filter(mask).drop_columns(["_row"]),
                pa.Table.from_pylist(rows, schema=arrow_schema(Rejects)))

    def _spill(self) -> None:
        for kind, tables in self.buffers.items():
            if not tables:
                continue
            run = self.runs_dir / f"{kind}-{len(self.runs[kind]):05d}.parquet"
            table = pa.concat_tables(tables).cast(arrow_schema(MODELS[kind]))
            write_parquet(sort_table(table, KEYS[kind]), run, self.options)
            self.runs[kind].append(run)
            self.buffers[kind] = []
        self.buffered_bytes = 0

    def write_tables(self) -> list[dict]:
        """Merge the runs into the final shards; returns their file entries for the manifest."""
        self._spill()
        entries = []
        for kind, model in MODELS.items():
            schema = arrow_schema(model)
            paths = write_sorted(self.runs[kind], KEYS[kind], schema, self.staging / kind,
                                 PREFIX[kind], self.options)
            for path in paths:
                entries.append({"path": path.relative_to(self.staging).as_posix(), "table": kind,
                                "rows": pq.ParquetFile(path).metadata.num_rows,
                                "bytes": path.stat().st_size, "sha256": sha256_file(path)})
        shutil.rmtree(self.runs_dir)
        return entries

    def write_json(self, name: str, payload: dict) -> None:
        text = json.dumps(payload, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
        (self.staging / name).write_text(text, encoding="utf-8")

    def write_text(self, name: str, text: str) -> None:
        (self.staging / name).write_text(text, encoding="utf-8")

    def publish(self) -> None:
        """Validate the staged release, then swap it in; on any failure the old one stays."""
        report = validate_release(self.staging)
        if not report.ok:
            raise ReleaseFailed("the new release does not validate; the published folder is "
                                "unchanged:\n" + report.to_text())
        if self.out.exists():
            _exchange(self.staging, self.out)
            shutil.rmtree(self.staging)
        else:
            os.rename(self.staging, self.out)

    def abandon(self) -> None:
        shutil.rmtree(self.staging, ignore_errors=True)


def _empty(model) -> pa.Table:
    return arrow_schema(model).empty_table()
