"""Validation of a published folder with the pandera schemas (each batch's own checks, before it
is written, are `batch_checks.py`'s; the checks on a file's rows, `row_checks.py`'s).

A published folder is read through pyarrow's filesystems, so a release behind a `file://` URI, on
S3 or GCS, or under a `SubTreeFileSystem` validates like a local folder.
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from typing import Callable, Iterable

import numpy as np
import pandera.pandas as pa
import pyarrow as pa_arrow
import pyarrow.compute as pc
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from newsclean.schemas import Corpus, Duplicates, Rejects, Removals, arrow_schema
from newsclean.schemas.corpus import corpus_schema

from ..executor import release_memory
from .manifest_check import check_manifest, manifest_sha256
from .row_checks import _check_rows, _passes, _repeats, _row_id, _slices, _unique_columns, conform, recheck_rows
from .storage import Release, sha256_file, shown  # noqa: F401 (sha256_file: for release.py)
from .unique import UNIQUE, AcrossShards

TABLES = {"data": Corpus, "removals": Removals, "rejects": Rejects, "duplicates": Duplicates}
READ_ROWS = 1_000  # rows per record batch read when checking a file (in slices: `row_checks.SLICE_BYTES`)


@dataclass
class Violation:
    file: str
    check: str
    id: str | None = None
    value: str | None = None


@dataclass
class Report:
    directory: str
    rows: dict[str, int] = field(default_factory=dict)
    violations: list[Violation] = field(default_factory=list)
    sha256: dict[str, str] = field(default_factory=dict)  # the files checked: their bytes' sha256

    @property
    def ok(self) -> bool:
        return not self.violations

    def add(self, file: str, check: str, id: str | None = None, value: object = None) -> None:
        text = None if value is None else str(value)
        if text is not None and len(text) > 120:
            text = text[:117] + "..."
        self.violations.append(Violation(file, check, id, text))

    def to_json(self) -> str:
        return json.dumps({"directory": self.directory, "valid": self.ok, "rows": self.rows,
                           "violations": [asdict(v) for v in self.violations]}, indent=2)

    def to_text(self) -> str:
        counts = ", ".join(f"{n} {name} rows" for name, n in self.rows.items())
        if self.ok:
            return f"{self.directory}: valid ({counts})"
        lines = [f"{self.directory}: INVALID, {len(self.violations)} violation(s) ({counts})"]
        for v in self.violations:
            where = f" row id={v.id}" if v.id is not None else ""
            value = f" (value: {v.value!r})" if v.value is not None else ""
            lines.append(f"  {v.file}{where}: {v.check}{value}")
        return "\n".join(lines)


def schema_differences(actual: pa_arrow.Schema, expected: pa_arrow.Schema) -> tuple[list[str], bool]:
    """(the differences, column by column; whether they are only types and nullability)."""
    missing = [n for n in expected.names if n not in actual.names]
    extra = [n for n in actual.names if n not in expected.names]
    problems = []
    if missing:
        problems.append(f"columns missing: {', '.join(missing)}")
    if extra:
        problems.append(f"columns not in schemas/: {', '.join(extra)}")
    if not missing and not extra and actual.names != expected.names:
        problems.append(f"column order differs from schemas/: {', '.join(actual.names)}")
    if problems:
        return problems, False
    for want in expected:
        got = actual.field(want.name)
        if not got.type.equals(want.type):
            problems.append(f"{want.name}: Arrow type {got.type}, schemas/ says {want.type}")
        elif got.nullable and not want.nullable:
            problems.append(f"{want.name}: Arrow field is nullable, schemas/ says not null")
    return problems, True


def _check_table_files(release: Release, kind: str, model: type[pa.DataFrameModel], report: Report,
                       unique: "AcrossShards | None", relaxed: tuple[str, ...],
                       names: list[str] | None = None) -> None:
    """Every check on the files of `kind` (`names`: only these)."""
    expected = arrow_schema(model)
    schema = corpus_schema(relaxed) if model is Corpus else model.to_schema()
    report.rows[kind] = 0
    for name in release.files(kind, ".parquet") if names is None else names:
        rows = _clean_file_rows(release, name, expected, schema)
        release_memory()  # read on this thread (use_threads=False): its freed pages go back
        if rows is not None:  # every check passes: what the whole-file path would find, in slices
            report.rows[kind] += rows
            if kind == "data":
                unique.check_file(release, name, report)
            continue
        try:
            table = release.read_table(name)
        except (OSError, pa_arrow.ArrowInvalid) as exc:
            report.add(name, f"unreadable Parquet file: {exc}")
            continue
        report.rows[kind] += table.num_rows
        problems, castable = schema_differences(table.schema, expected)
        for problem in problems:
            report.add(name, problem)
        if not castable:
            continue
        table, unconvertible = conform(table, expected)
        for column, positions in unconvertible.items():
            if len(positions) < table.num_rows:  # when none converts, the type message says it all
                for position in positions:
                    report.add(name, f"{column}: value does not convert to {expected.field(column).type}",
                               _row_id(table, position), table[column][position].as_py())
        if unconvertible:
            continue
        _check_rows(name, table, schema, report)
        if kind == "data":  # uniqueness across shards (pandera checks it within one)
            unique.check(name, table, report)


def _clean_file_rows(release: Release, name: str, expected: pa_arrow.Schema,
                     schema: pa.DataFrameSchema) -> int | None:
    """The file's row count when it passes every check of `_check_table_files` but the one
    across shards, checked a slice at a time; None when it does not (or cannot be read so),
    and the caller checks it whole for the report."""
    try:
        with release.fs.open_input_file(release.path(name)) as handle:
            shard = pq.ParquetFile(handle)
            if schema_differences(shard.schema_arrow, expected)[0]:
                return None
            unique = _unique_columns(schema)
            if unique and _repeats(shard.read(columns=unique, use_threads=False), unique):
                return None
            if not _passes(_slices(shard.iter_batches(batch_size=READ_ROWS, use_threads=False)),
                           schema, expected):
                return None
            return shard.metadata.num_rows
    except (OSError, pa_arrow.ArrowInvalid, pa_arrow.ArrowNotImplementedError, pa_arrow.ArrowTypeError):
        return None


def validate_release(directory: str | os.PathLike, filesystem: pafs.FileSystem | None = None) -> Report:
    """Every check on a published folder: manifest (`manifest_check`: nothing unlisted, sums, the
    card's and Croissant's checksums), schemas, row checks, cross-shard uniqueness.

    `directory`: a local folder, a URI pyarrow's filesystems understand (file://, s3://, gs://),
    or a path on `filesystem`."""
    release, report, relaxed = _open(directory, filesystem)
    if release is None:
        return report
    unique = AcrossShards(release, release.files("data", ".parquet"), within=False)
    for kind, model in TABLES.items():
        _check_table_files(release, kind, model, report, unique, relaxed)
    return report


def _open(directory, filesystem) -> tuple[Release | None, Report, tuple[str, ...]]:
    """(the release, its report with the manifest checked, the families its run relaxed); no
    release when the folder holds no corpus shards."""
    release = Release(directory, filesystem)
    report = Report(shown(directory))
    if not release.files("data", ".parquet"):
        report.add("data/", "no Parquet files: not a published corpus")
        return None, report, ()
    if not has_manifest(release):
        report.add("manifest.json", NO_MANIFEST)
        return None, report, ()
    return release, report, check_manifest(release, report)


# A release is visible once its manifest is written, last (on an object store, which has no
# atomic rename, nothing else marks it whole): without one, the files are no release at all.
NO_MANIFEST = ("missing: no release here (a release is complete only once its manifest.json is "
               "written, last; a run still writing or cut short leaves none)")


def has_manifest(release: Release) -> bool:
    return release.info("manifest.json").type == pafs.FileType.File


def validate_audit_tables(directory: str | os.PathLike, kinds: Iterable[str],
                          filesystem: pafs.FileSystem | None = None) -> dict[str, Report]:
    """Every check `validate_files` runs on the audit tables of `kinds` (removals, rejects,
    duplicates: no batch validated their rows), one report per kind, with the sha256 of each file
    checked, taken before the check (so a change during it shows as a checksum mismatch). The
    process that wrote the tables runs this beside the corpus shards being written; the manifest
    takes these checksums and `validate_files(checked=...)` takes the reports."""
    release = Release(directory, filesystem)
    reports = {}
    for kind in kinds:
        if kind == "data":
            raise ValueError("the corpus shards are checked with the release (validate_files)")
        report = reports[kind] = Report(shown(directory))
        report.sha256 = {name: sha256_file(release.path(name), release.fs)
                         for name in release.files(kind, ".parquet")}
        _check_table_files(release, kind, TABLES[kind], report, unique=None, relaxed=())
    return reports


def validate_audit_file(directory: str | os.PathLike, kind: str, name: str) -> Report:
    """`validate_audit_tables` for one file of `kind` (`name`, relative to `directory`): for a
    shard written and checked by a task of its own; the reports of a kind's shards add up."""
    release = Release(directory, None)
    report = Report(shown(directory))
    report.sha256 = {name: sha256_file(release.path(name), release.fs)}
    _check_table_files(release, kind, TABLES[kind], report, unique=None, relaxed=(), names=[name])
    return report


def _still_checked(release: Release, kind: str, report: Report, listed: dict[str, str]) -> bool:
    """Whether `report` covers this kind's files as the manifest lists them: the same files, with
    the checksums of the bytes it checked (the manifest check holds the files to those)."""
    names = release.files(kind, ".parquet")
    return set(names) == set(report.sha256) and all(listed.get(n) == report.sha256[n] for n in names)


# The data shards `names` checked elsewhere (an engine's tasks) for a run that relaxed these rule
# families: each shard's `data_checks.ShardCheck`, in order
DataChecks = Callable[[list[str], tuple[str, ...]], list]


def validate_files(directory: str | os.PathLike, filesystem: pafs.FileSystem | None = None,
                   recheck: Iterable[str] | pa_arrow.Array | None = None,
                   checked: dict[str, Report] | None = None, data_checks: DataChecks | None = None) -> Report:
    """The checks a release built from validated batches still needs, without re-running the row
    checks every batch passed (what `ReleaseBuilder.publish` runs before the swap).

    Files: manifest (presence, bytes, sha256, rows, nothing unlisted), each shard's Arrow schema,
    `id` and `content_hash` unique across shards. Rows: every check on the tables no batch
    validated (removals, rejects, duplicates), and on the corpus rows whose ids are in `recheck`
    (rows changed after their batch passed, e.g. by the corpus stage). `checked`: reports of
    `validate_audit_tables` on some of those tables; a kind's files are not read again when the
    manifest lists exactly the files its report checked, with their checksums (the manifest check
    here holds the files to those bytes); otherwise they are checked here. `data_checks`: what
    checks the data shards instead of this process (`data_checks.py`: the same report; the rows to
    recheck are then its to find). `validate_release` stays the full check of a folder someone
    hands us.

    Memory does not grow with the corpus: files are read a record batch or a row group at a time,
    rows checked in slices, and uniqueness across shards checked in bounded memory (`unique.py`)."""
    release, report, relaxed = _open(directory, filesystem)
    if release is None:
        return report
    names = release.files("data", ".parquet")
    unique = AcrossShards(release, names, within=True) if data_checks is None else None
    checked = checked or {}
    listed = manifest_sha256(release) if checked else {}
    for kind, model in TABLES.items():
        if kind in checked and kind != "data" and _still_checked(release, kind, checked[kind], listed):
            report.rows[kind] = checked[kind].rows[kind]
            report.violations += checked[kind].violations
            continue
        if kind != "data":
            _check_table_files(release, kind, model, report, unique, relaxed)
            continue
        if data_checks is not None:
            from .data_checks import joined

            joined(names, data_checks(names, relaxed), report)
            continue
        expected, wanted = arrow_schema(model), _wanted(recheck)
        report.rows[kind] = 0
        for name in names:
            try:
                with release.fs.open_input_file(release.path(name)) as handle:
                    shard = pq.ParquetFile(handle)
                    problems, _ = schema_differences(shard.schema_arrow, expected)
                    report.rows[kind] += shard.metadata.num_rows
                    for problem in problems:
                        report.add(name, problem)
                    if problems:
                        continue
                    keys = shard.read(columns=list(UNIQUE), use_threads=False)
                    unique.check(name, keys, report)
                    if len(wanted):
                        hit = pc.is_in(keys["id"], value_set=wanted).to_numpy(zero_copy_only=False)
                        positions = np.flatnonzero(hit)
                        if len(positions):
                            recheck_rows(name, shard, positions, keys, corpus_schema(relaxed), expected, report)
            except (OSError, pa_arrow.ArrowInvalid) as exc:
                report.add(name, f"unreadable Parquet file: {exc}")
            release_memory()
    return report


def _wanted(recheck: Iterable[str] | pa_arrow.Array | pa_arrow.ChunkedArray | None) -> pa_arrow.Array:
    if recheck is None:
        return pa_arrow.array([], pa_arrow.string())
    if isinstance(recheck, pa_arrow.ChunkedArray):
        recheck = recheck.combine_chunks()
    if not isinstance(recheck, pa_arrow.Array):
        recheck = pa_arrow.array(list(recheck), pa_arrow.string())
    return pc.unique(recheck.cast(pa_arrow.string()))
