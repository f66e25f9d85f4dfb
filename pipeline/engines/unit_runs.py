"""Units staged in an object store as sorted runs, by the workers that made them, so that the
driver reads none of their rows.

On an object-store unit stage (`staging.UnitStage`, not local) each worker writes its unit's
data, removals and rejects already cast to the release builder's run schemas
(`publish.runs.run_schemas`) and sorted by its run keys (`KEYS`): a staged unit *is* a sorted
run of each table, as the driver's spills were. Then `done`, last, holding the unit's receipt
(what it read, the rows of each table): the worker returns the same receipt to the driver, and
a resumed run's workers read it back from `done` instead of making the unit again. The driver
hands the runs' paths to the release builder (`ReleaseBuilder.add_runs`), whose first merge
round (`shards.merge_staged`, in the engine's tasks) reads them from the store into local runs;
the template count rows stay where they are, for the engine's tasks (`ray_templates`), or are
read by the driver when it counts them itself (the only rows it then reads).

A unit's runs are made of the rows the driver's `add` would have buffered, cast and sorted the
same way; runs merged in consecutive groups in plan order give equal keys in the order the
driver's spills gave them: the same release, byte for byte.
"""
from __future__ import annotations

import json
import logging
import socket
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from typing import Callable, Iterable, Iterator

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from ..batch import UnitResult
from ..corpus.dedup import signed_as
from ..corpus.templates import LineCounts
from ..fingerprint import InputFingerprint
from ..options import CorpusOptions
from ..publish.runs import KEYS, RUN_OPTIONS, run_schemas
from ..publish.shards import sort_table, write_parquet
from ..publish.storage import join
from ..readers.plan import Unit
from .base import Engine
from .staging import DONE, UNREAD_COUNTS, StageWriteError, UnitStage

log = logging.getLogger(__name__)

RUNS = tuple(KEYS)  # data, removals, rejects: the tables staged as runs
# Units whose template count rows the driver reads at once, ahead of the one it takes in (when it
# counts them itself): a unit's requests wait on the store while the driver counts the one
# before; each holds a unit's count rows until it is taken.
READ_AHEAD = 3


@dataclass(frozen=True)
class UnitReceipt:
    """What a worker that staged its unit itself sends back instead of the unit's tables (and
    what its `done` holds): which unit, what it read, and the rows of each of its runs."""

    number: int
    read: InputFingerprint
    rows: tuple[int, int, int]  # of RUNS, in that order

    def rows_of(self, kind: str) -> int:
        """The rows of the unit's run of `kind` (one of RUNS)."""
        return self.rows[RUNS.index(kind)]

    def to_json(self) -> bytes:
        read = self.read
        return json.dumps({"documents": read.documents, "bytes": read.bytes, "fingerprint": read.hexdigest(),
                           "rows": dict(zip(RUNS, self.rows))}, sort_keys=True).encode("utf-8")

    @classmethod
    def from_json(cls, number: int, text: bytes) -> UnitReceipt:
        found = json.loads(text.decode("utf-8"))
        read = InputFingerprint(int(found["fingerprint"], 16), found["documents"], found["bytes"])
        return cls(number, read, tuple(int(found["rows"][kind]) for kind in RUNS))


@dataclass(frozen=True)
class StagedUnit:
    """A unit as the release builder takes it from the stage: its runs with rows (paths on
    `filesystem`), its template count rows (empty when the engine's tasks count them), its receipt."""

    runs: dict[str, str]
    filesystem: pafs.FileSystem
    line_counts: LineCounts
    receipt: UnitReceipt


def save_runs(stage: UnitStage, number: int, result: UnitResult, corpus: CorpusOptions) -> UnitReceipt:
    """The unit's tables as sorted runs and its count rows, sent at once; then `done`, holding
    the receipt, once every one is written (a unit without it is made again)."""
    unit, batch = stage.unit_folder(number), result.batch
    schemas = run_schemas(corpus)
    tables = {"data": signed_as(batch.data, corpus.dedup), "removals": batch.removals, "rejects": batch.rejects}
    runs = {kind: sort_table(table.select(schemas[kind].names).cast(schemas[kind]), KEYS[kind])
            for kind, table in tables.items()}
    writes = [partial(write_parquet, run, join(unit, f"{kind}.parquet"), RUN_OPTIONS, False, stage.fs)
              for kind, run in runs.items()]
    writes += [partial(stage.write_table, table, join(unit, f"{name}.parquet"))
               for name, table in (("line_docs", batch.line_counts.docs), ("line_lines", batch.line_counts.lines))]
    if stage.local:  # an object store has no folders to make
        stage.fs.create_dir(unit, recursive=True)
    with ThreadPoolExecutor(len(writes), thread_name_prefix="unit-write") as senders:
        for sent in [senders.submit(write) for write in writes]:
            sent.result()  # a failed file raises here: no `done`
    receipt = UnitReceipt(number, result.read, tuple(runs[kind].num_rows for kind in RUNS))
    stage.write_bytes(join(unit, DONE), receipt.to_json())  # last: the unit is whole
    return receipt


def staged_receipt(stage: UnitStage, number: int) -> UnitReceipt:
    """A unit's receipt from its `done` (a unit staged by an earlier run of the same key)."""
    with stage.fs.open_input_stream(join(stage.unit_folder(number), DONE), compression=None) as stream:
        return UnitReceipt.from_json(number, stream.readall())


@dataclass(frozen=True)
class _RunsByWorker:
    """In a worker: `fn(unit)` staged as runs by that worker, or, for a unit already staged (sent
    as None), its receipt read from its `done`; only the receipt goes back to the driver."""

    fn: Callable[[Unit], UnitResult]
    stage: UnitStage
    corpus: CorpusOptions

    def __call__(self, item: tuple[int, Unit | None]) -> UnitReceipt:
        number, unit = item
        if unit is None:
            return staged_receipt(self.stage, number)
        result = self.fn(unit)
        try:
            return save_runs(self.stage, number, result, self.corpus)
        except OSError as exc:  # e.g. a node whose credentials may read the store but not write
            raise StageWriteError(f"unit {number} could not be staged in {self.stage.shown()} from "
                                  f"{socket.gethostname()} ({exc}); every node writes its units there: if "
                                  "this one may not, give each node credentials that allow writing (in the "
                                  "URI, or on every node), or --stage a store they can write to") from exc


def read_counts(stage: UnitStage, number: int) -> LineCounts:
    """A unit's template count rows, for a driver that counts them itself (no engine tasks): each
    file fetched whole (on S3 a HEAD and a GET; `pq.read_table` makes five requests in turn)."""
    unit = stage.unit_folder(number)
    docs, lines = (_fetched_table(stage.fs, join(unit, f"{name}.parquet")) for name in ("line_docs", "line_lines"))
    return LineCounts(docs, lines)


def _fetched_table(fs: pafs.FileSystem, path: str) -> pa.Table:
    with fs.open_input_stream(path, compression=None) as stream:
        return pq.read_table(pa.BufferReader(stream.readall()))


def staged_runs(engine: Engine, fn: Callable[[Unit], UnitResult], units: Iterable[Unit], workers: int,
                stage: UnitStage, corpus: CorpusOptions, counts: bool = True) -> Iterator[StagedUnit]:
    """Every unit staged as runs in `stage` (an object store) by the worker that made it, in plan
    order; units staged by an earlier run of the same key are not made again (their workers read
    their receipts). `counts` False: their template count rows left unread (the engine's tasks
    count them from the stage); True: read READ_AHEAD units ahead of the one taken."""
    done = stage.done_units()
    if done:
        log.info("resuming: %d units already staged in %s", len(done), stage.name)
    log.info("staging units in %s (written by the workers)", stage.shown())
    to_send = ((number, None if number in done else unit) for number, unit in enumerate(units))
    receipts = _in_plan_order(engine.map_ordered(_RunsByWorker(fn, stage, corpus), to_send, workers))
    if counts:
        with_counts = _read_ahead(receipts, lambda receipt: read_counts(stage, receipt.number), READ_AHEAD)
    else:
        with_counts = ((receipt, UNREAD_COUNTS) for receipt in receipts)
    for receipt, line_counts in with_counts:
        folder = stage.unit_folder(receipt.number)
        runs = {kind: join(folder, f"{kind}.parquet") for kind, rows in zip(RUNS, receipt.rows) if rows}
        yield StagedUnit(runs, stage.fs, line_counts, receipt)


def _in_plan_order(receipts: Iterable[UnitReceipt]) -> Iterator[UnitReceipt]:
    """The receipts, checked to come back in input order: the n-th is unit n's."""
    for number, receipt in enumerate(receipts):
        if receipt.number != number:  # the engine broke its promise of input order
            raise RuntimeError(f"unit {receipt.number} came back in the place of unit {number}")
        yield receipt


def _read_ahead(receipts: Iterator[UnitReceipt], read: Callable[[UnitReceipt], LineCounts],
                depth: int) -> Iterator[tuple[UnitReceipt, LineCounts]]:
    """(receipt, read(receipt)) in the receipts' order, the reads of up to `depth` units ahead of
    the one taken made at once, in threads (pyarrow waits on the store without the GIL)."""
    readers = ThreadPoolExecutor(depth, thread_name_prefix="unit-counts")
    reading: deque[tuple[UnitReceipt, Future[LineCounts]]] = deque()
    try:
        for receipt in receipts:
            reading.append((receipt, readers.submit(read, receipt)))
            if len(reading) > depth:
                taken, counts = reading.popleft()
                yield taken, counts.result()
        while reading:
            taken, counts = reading.popleft()
            yield taken, counts.result()
    finally:
        readers.shutdown(wait=True, cancel_futures=True)


__all__ = ["RUNS", "StagedUnit", "UnitReceipt", "read_counts", "save_runs", "staged_receipt", "staged_runs"]
