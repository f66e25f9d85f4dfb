"""Staged units: each planned unit's results kept as Parquet files until the release is
published, so that a run cut short (a killed driver, a lost cluster) resumes from them instead of
from zero.

A unit is number N of the run's plan (`readers.plan`: byte ranges, row groups, files); its folder
`unit-N/` holds the five tables of its `BatchResult`, `read.json` (the documents read, their
bytes and fingerprint) and, written last, `done` (a partly written unit has none and is made
again: a kill at any moment leaves no half unit taken as whole). The stage's folder name carries
a key over everything that decides the units' contents (the inputs' paths, sizes and
modification times, the options that change output, the batch and unit sizes, the package
version), so a run resumes only units that would come out the same.

The stage lives on a pyarrow filesystem: a local folder, or an object store (`s3://`, `gs://`).
By default it goes beside the output, `.NAME.units-KEY/` next to `--out` (on the output's own
store when `--out` is a URI); `stage_for` takes an explicit folder or URI instead (`--stage`).
On an object store a run resumes on any machine that can reach it and gives the same key (local
inputs: the same files at the same path), the corpus tasks that read the units
(`engines.ray_templates`, the first merge round) may run on any node, and each worker writes
its own units there as sorted runs, returning only a receipt (`engines.unit_runs`: the driver
reads none of their rows); a stage on the driver's disk is written by the driver, which takes
the units' tables (`staged_results`). The units are removed once the release is published
(`run`: after the upload, for an object-store output).
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Callable, Iterable, Iterator
from urllib.parse import urlsplit

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from ..batch import BatchResult, UnitResult
from ..corpus.templates import COUNT_SCHEMA, DOC_SCHEMA, LineCounts
from ..fingerprint import InputFingerprint
from ..options import Options
from ..publish.remote import is_remote
from ..publish.storage import join, resolve
from ..publish.target import OutputRefused
from ..readers.plan import Unit
from ..readers.remote import RemoteInput
from ..version import __version__
from .base import Engine

log = logging.getLogger(__name__)

TABLES = ("data", "removals", "rejects", "line_docs", "line_lines")  # the count rows last (`load_batch`)
UNREAD_COUNTS = LineCounts(DOC_SCHEMA.empty_table(), COUNT_SCHEMA.empty_table())  # a unit read back without them
# What the units' tables hold, in the key: units of another layout are never resumed (2: the
# data and removals carry each row's input position; 3: planned units, read by the actors; 4: in
# an object store, sorted runs with the receipt in `done`, `engines.unit_runs`).
UNIT_FORMAT = 4
DONE = "done"
READ = "read.json"
KEY_CHARS = 20  # hex digits of the run's key in the stage's folder name
UNIT_NAME = re.compile(r"unit-(\d{8,})")  # unit_folder's name: 8 digits, more from unit 10**8
# a stage's own folder name: `.NAME.units-KEY` beside the output, `.NAME-H.units-KEY` in --stage
STAGE_NAME = re.compile(r"\..+\.units-[0-9a-f]{%d}" % KEY_CHARS)
SCHEMES = {"s3": "s3", "gcs": "gs", "hdfs": "hdfs"}  # pyarrow's filesystem names, as URI schemes


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
    payload = {"version": __version__, "unit_format": UNIT_FORMAT, "options": options.fingerprint(),
               "batch_docs": options.batch_docs, "unit_bytes": unit_bytes, "inputs": sorted(_input_files(paths))}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:KEY_CHARS]


def _is_local(fs: pafs.FileSystem) -> bool:
    return fs.type_name == "local"


@dataclass(frozen=True)
class UnitStage:
    """The staged units of one run: `folder/unit-00000012/{data,...}.parquet`, `read.json`, `done`,
    `folder` a path on `fs` (a local folder by default, kept resolved: no `..`, no symlink; an
    object store's `bucket/prefix`)."""

    folder: str
    fs: pafs.FileSystem = field(default_factory=pafs.LocalFileSystem)

    def __post_init__(self) -> None:
        folder = Path(self.folder).resolve().as_posix() if _is_local(self.fs) else str(self.folder)
        object.__setattr__(self, "folder", folder.rstrip("/"))

    @property
    def name(self) -> str:
        return self.folder.rpartition("/")[2]

    @property
    def local(self) -> bool:
        """On this machine's disk (the tasks that read the units must then run on its node)."""
        return _is_local(self.fs)

    def shown(self) -> str:
        """Where the stage is, as a log shows it (no credentials: the filesystem holds those)."""
        scheme = SCHEMES.get(self.fs.type_name, self.fs.type_name)
        return self.folder if self.local else f"{scheme}://{self.folder}"

    def unit_folder(self, number: int) -> str:
        return join(self.folder, f"unit-{number:08d}")

    def done_units(self) -> set[int]:
        """The numbers of the units whose `done` is written: one listing of the stage (on an
        object store, a request per thousand objects rather than one per unit)."""
        found = self.fs.get_file_info(pafs.FileSelector(self.folder, recursive=True, allow_not_found=True))
        done = set()
        for info in found:
            parent, _, base = info.path.rstrip("/").rpartition("/")
            unit = UNIT_NAME.fullmatch(parent.rpartition("/")[2])
            inside = parent.startswith(self.folder + "/")
            if base == DONE and info.type == pafs.FileType.File and unit and inside:
                done.add(int(unit.group(1)))
        return done

    def load(self, number: int, counts: bool = True) -> UnitResult:
        unit = self.unit_folder(number)
        with self.fs.open_input_stream(join(unit, READ), compression=None) as stream:
            read = json.loads(stream.readall().decode("utf-8"))
        return UnitResult(self.load_batch(number, counts),
                          InputFingerprint(int(read["fingerprint"], 16), read["documents"], read["bytes"]))

    def load_batch(self, number: int, counts: bool = True) -> BatchResult:
        """A staged unit's tables (what the release builder takes), without what was read;
        `counts` False: its template count rows left unread (empty), for a run whose tasks count
        them from the stage (`engines.ray_templates`)."""
        unit = self.unit_folder(number)
        names = TABLES if counts else TABLES[:3]
        tables = {name: pq.read_table(join(unit, f"{name}.parquet"), filesystem=self.fs) for name in names}
        line_counts = LineCounts(tables["line_docs"], tables["line_lines"]) if counts else UNREAD_COUNTS
        return BatchResult(tables["data"], tables["removals"], tables["rejects"], line_counts)

    def save(self, number: int, result: UnitResult) -> None:
        """The unit's files, then its `done` once every one of them is written. On an object
        store the files are sent at once (each is a request or a few, mostly waiting on the
        store); on a local disk one after the other, as always."""
        unit = self.unit_folder(number)
        if self.local:  # an object store has no folders to make
            self.fs.create_dir(unit, recursive=True)
        read = result.read
        summary = json.dumps({"documents": read.documents, "bytes": read.bytes, "fingerprint": read.hexdigest()})
        writes = [partial(self.write_table, table, join(unit, f"{name}.parquet"))
                  for name, table in _tables(result.batch).items()]
        writes.append(partial(self.write_bytes, join(unit, READ), summary.encode("utf-8")))
        if self.local:
            for write in writes:
                write()
        else:
            with ThreadPoolExecutor(len(writes), thread_name_prefix="unit-write") as senders:
                for sent in [senders.submit(write) for write in writes]:
                    sent.result()  # a failed file raises here: no `done`
        self.write_bytes(join(unit, DONE), b"")  # last: the unit is whole

    def write_table(self, table: pa.Table, path: str) -> None:
        # fast compression: read back once, by the driver or on a resume; the schema (and its metadata) kept
        pq.write_table(table, path, filesystem=self.fs, compression="zstd", compression_level=1, store_schema=True)

    def write_bytes(self, path: str, data: bytes) -> None:
        with self.fs.open_output_stream(path, compression=None) as stream:
            stream.write(data)

    def remove_all(self) -> None:
        """This run's units and those of earlier runs to the same output (their inputs or options
        changed): called once the release is published. Only folders named as a stage of this
        output is (`.NAME.units-` or `.NAME-H.units-`, and a key) are deleted, nothing else beside
        them; ValueError for a stage not named so (its siblings could be anything). OSError when
        the filesystem refuses (the caller decides whether that matters)."""
        parent, _, name = self.folder.rpartition("/")
        if not STAGE_NAME.fullmatch(name):
            raise ValueError(f"{self.shown()} is not named as a unit stage (.NAME.units-KEY): not removing "
                             "anything beside it")
        own = re.compile(re.escape(name.rsplit("-", 1)[0] + "-") + f"[0-9a-f]{{{KEY_CHARS}}}")
        listing = self.fs.get_file_info(pafs.FileSelector(parent or "/", allow_not_found=True))
        for info in listing:
            if info.type == pafs.FileType.Directory and own.fullmatch(info.base_name):
                try:
                    self.fs.delete_dir(info.path)
                except FileNotFoundError:
                    pass


def _place(out: str | os.PathLike) -> str:
    """The output's location without credentials or query (what tells two outputs apart)."""
    text = os.fspath(out)
    if is_remote(text):
        parts = urlsplit(text)
        return f"{parts.scheme}://{parts.hostname or ''}{parts.path}".rstrip("/")
    return Path(urlsplit(text).path if text.startswith("file://") else text).resolve().as_posix()


def _inside(path: str, folder: str) -> bool:
    """`path` is `folder` or under it: resolved local paths, or an object store's `bucket/key`."""
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def stage_for(out: str | os.PathLike, build: Path, paths: list[Path | RemoteInput], options: Options,
              unit_bytes: int, at: str | os.PathLike | None = None) -> UnitStage:
    """Where a run's units are staged. `out`: the output as given (a folder or URI); `build`: the
    local folder the release is built in (`out` itself, or a URI's build folder).

    - `at` given (`--stage`, a folder or URI): `.NAME-H.units-KEY/` in it, `H` a hash of the
      output's location, so that outputs of one name sharing a stage folder stay apart; refused
      inside the output or a local input (the release would replace it, or the run read it).
    - `out` on an object store: `.NAME.units-KEY/` beside it in the same store (a bucket's root,
      having nothing beside it, keeps the units beside the local build folder, as `out` local).
    - otherwise `.NAME.units-KEY/` beside `out`."""
    key = run_key(paths, options, unit_bytes)
    remote = is_remote(out)
    name = resolve(out)[1].rpartition("/")[2] if remote else build.name
    if at is not None:
        fs, root = resolve(at)
        tag = hashlib.sha256(_place(out).encode()).hexdigest()[:8]
        stage = UnitStage(join(root, f".{name}-{tag}.units-{key}"), fs)
        _check_place(stage, out, build, paths)
        return stage
    if remote:
        fs, path = resolve(out)
        parent = path.rpartition("/")[0]
        if parent:
            return UnitStage(join(parent, f".{name}.units-{key}"), fs)
        log.warning("--out %s is a bucket's root: its units are staged beside the local build folder "
                    "(pass --stage URI to stage them in the store)", _place(out))
    return UnitStage((build.parent / f".{build.name}.units-{key}").as_posix())


def _check_place(stage: UnitStage, out: str | os.PathLike, build: Path,
                 paths: list[Path | RemoteInput]) -> None:
    """Refuse a stage inside the output (the release would replace it) or an input (the run
    would read it, and the key, over the inputs' files, would change with every unit staged).
    Local paths compared resolved (`..` and symlinks followed), as `publish.target.check_output`
    does; the stage's folder is resolved already (`UnitStage`)."""
    root = stage.folder.rpartition("/")[0]
    if stage.local:
        taken = [("--out", build.resolve().as_posix())]
        taken += [(f"the input {p}", p.resolve().as_posix()) for p in paths if isinstance(p, Path)]
    else:
        out_fs, out_path = resolve(out) if is_remote(out) else (None, "")
        taken = [("--out", out_path)] if out_fs is not None and out_fs.type_name == stage.fs.type_name else []
        scheme = stage.shown().partition("://")[0]
        for given in paths:  # a remote input by its URI, as the stage shows itself (no request)
            where, _, path = _place(given.uri).partition("://") if isinstance(given, RemoteInput) else ("", "", "")
            if where == scheme:
                taken.append((f"the input {given}", path))
    for what, folder in taken:
        if folder and _inside(root, folder):
            raise OutputRefused(f"--stage {stage.shown().rpartition('/')[0]} is inside {what}; stage the "
                                "units in a folder of their own (or leave --stage out: beside --out)")


@dataclass(frozen=True)
class _UnlessStaged:
    """`fn(unit)`, or nothing for a unit the driver already has staged (sent as None)."""

    fn: Callable[[Unit], UnitResult]

    def __call__(self, unit: Unit | None) -> UnitResult | None:
        return None if unit is None else self.fn(unit)


class StageWriteError(OSError):
    """A worker could not write a unit to the stage: the run stops, the release is untouched and
    the units staged so far stay for a rerun to resume from."""


def staged_results(engine: Engine, fn: Callable[[Unit], UnitResult], units: Iterable[Unit], workers: int,
                   stage: UnitStage | None, counts: bool = True) -> Iterator[UnitResult]:
    """`engine.map_ordered(fn, units)`, each unit staged on the driver's disk as it comes back;
    units staged by an earlier run of the same inputs and options are read back instead of being
    made again (`counts` False: without their template count rows, when the engine's tasks count
    them from the stage). A stage in an object store is written by the workers instead, as
    sorted runs (`engines.unit_runs.staged_runs`).

    On the driver's disk the driver writes the units: on a cluster no other node reaches that
    disk, and whether the cluster is one machine (a local Ray, whose results come through shared
    memory) cannot be known for the whole run (nodes join)."""
    if stage is None:
        yield from engine.map_ordered(fn, units, workers)
        return
    if not stage.local:
        raise ValueError(f"{stage.shown()} is in an object store: its units are staged by the workers "
                         "(engines.unit_runs.staged_runs)")
    done = stage.done_units()
    if done:
        log.info("resuming: %d units already staged in %s", len(done), stage.name)
    log.info("staging units in %s", stage.shown())
    to_send = (None if number in done else unit for number, unit in enumerate(units))
    # results come back in input order: the n-th is unit n
    for number, result in enumerate(engine.map_ordered(_UnlessStaged(fn), to_send, workers)):
        if result is None:
            result = stage.load(number, counts)
        else:
            stage.save(number, result)
        yield result
