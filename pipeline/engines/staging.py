"""Staged units: each planned unit's results kept as Parquet files beside the output until the
release is published, so that a run cut short (a killed driver, a lost cluster) resumes from them
instead of from zero.

A unit is number N of the run's plan (`readers.plan`: byte ranges, row groups, files); its folder
`unit-N/` holds the five tables of its `BatchResult`, `read.json` (the documents read, their
bytes and fingerprint) and, written last, `done` (a partly written unit has none and is made
again: a kill at any moment leaves no half unit taken as whole). The stage's folder name carries
a key over everything that decides the units' contents (the inputs' paths, sizes and
modification times, the options that change output, the batch and unit sizes, the package
version), so a run resumes only units that would come out the same.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from ..batch import BatchResult, UnitResult
from ..corpus.templates import LineCounts
from ..fingerprint import InputFingerprint
from ..options import Options
from ..readers.plan import Unit
from ..readers.remote import RemoteInput
from ..version import __version__
from .base import Engine

log = logging.getLogger(__name__)

TABLES = ("data", "removals", "rejects", "line_docs", "line_lines")
# What the units' tables hold, in the key: units of another layout are never resumed (2: the
# data and removals carry each row's input position; 3: planned units, read by the actors).
UNIT_FORMAT = 3
DONE = "done"
READ = "read.json"


def _tables(result: BatchResult) -> dict[str, pa.Table]:
    return {"data": result.data, "removals": result.removals, "rejects": result.rejects,
            "line_docs": result.line_counts.docs, "line_lines": result.line_counts.lines}


def _input_files(paths: Iterable[Path | RemoteInput]) -> Iterator[tuple[str, int, int]]:
    for path in paths:
        if isinstance(path, RemoteInput):
            for item, _ in path.objects():
                yield item.as_posix(), item.size, item.mtime_ns
            continue
        found = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        for file in found:
            stat = file.stat()
            yield file.resolve().as_posix(), stat.st_size, stat.st_mtime_ns


def run_key(paths: list[Path | RemoteInput], options: Options, unit_bytes: int) -> str:
    """What the units' contents depend on, hashed: a changed input or option starts afresh. The
    files sorted, as the plan is: the same inputs given in another order resume too."""
    payload = {"version": __version__, "unit_format": UNIT_FORMAT, "options": options.fingerprint(), "batch_docs": options.batch_docs,
               "unit_bytes": unit_bytes, "inputs": sorted(_input_files(paths))}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:20]


@dataclass(frozen=True)
class UnitStage:
    """The staged units of one run: `folder/unit-00000012/{data,...}.parquet`, `read.json`, `done`."""

    folder: Path

    @classmethod
    def beside(cls, out: Path, paths: list[Path | RemoteInput], options: Options, unit_bytes: int) -> "UnitStage":
        return cls(out.parent / f".{out.name}.units-{run_key(paths, options, unit_bytes)}")

    def unit_folder(self, number: int) -> Path:
        return self.folder / f"unit-{number:08d}"

    def has(self, number: int) -> bool:
        return (self.unit_folder(number) / DONE).is_file()

    def load(self, number: int) -> UnitResult:
        unit = self.unit_folder(number)
        tables = {name: pq.read_table(unit / f"{name}.parquet") for name in TABLES}
        read = json.loads((unit / READ).read_text(encoding="utf-8"))
        return UnitResult(BatchResult(tables["data"], tables["removals"], tables["rejects"],
                                      LineCounts(tables["line_docs"], tables["line_lines"])),
                          InputFingerprint(int(read["fingerprint"], 16), read["documents"], read["bytes"]))

    def save(self, number: int, result: UnitResult) -> None:
        unit = self.unit_folder(number)
        unit.mkdir(parents=True, exist_ok=True)
        for name, table in _tables(result.batch).items():
            # fast compression: read back once, on a resume; the schema (and its metadata) kept
            pq.write_table(table, unit / f"{name}.parquet", compression="zstd", compression_level=1,
                           store_schema=True)
        read = result.read
        (unit / READ).write_text(json.dumps({"documents": read.documents, "bytes": read.bytes,
                                             "fingerprint": read.hexdigest()}), encoding="utf-8")
        (unit / DONE).write_bytes(b"")

    def staged(self) -> int:
        return sum(1 for _ in self.folder.glob(f"unit-*/{DONE}")) if self.folder.is_dir() else 0

    def remove_all(self) -> None:
        """This run's units and those of earlier runs to the same output (their inputs or options
        changed): called once the release is published."""
        prefix = self.folder.name.rsplit("-", 1)[0] + "-"
        for folder in self.folder.parent.glob(f"{prefix}*"):
            shutil.rmtree(folder, ignore_errors=True)


@dataclass(frozen=True)
class _UnlessStaged:
    """`fn(unit)`, or nothing for a unit the driver already has staged (sent as None)."""

    fn: Callable[[Unit], UnitResult]

    def __call__(self, unit: Unit | None) -> UnitResult | None:
        return None if unit is None else self.fn(unit)


def staged_results(engine: Engine, fn: Callable[[Unit], UnitResult], units: Iterable[Unit], workers: int,
                   stage: UnitStage | None) -> Iterator[UnitResult]:
    """`engine.map_ordered(fn, units)`, each unit staged as it comes back; units staged by an
    earlier run of the same inputs and options are read back instead of being made again."""
    if stage is None:
        yield from engine.map_ordered(fn, units, workers)
        return
    resumed = stage.staged()
    if resumed:
        log.info("resuming: %d units already staged in %s", resumed, stage.folder.name)
    to_send = (None if stage.has(number) else unit for number, unit in enumerate(units))
    # results come back in input order: the n-th is unit n
    for number, result in enumerate(engine.map_ordered(_UnlessStaged(fn), to_send, workers)):
        if result is None:
            result = stage.load(number)
        else:
            stage.save(number, result)
        yield result
