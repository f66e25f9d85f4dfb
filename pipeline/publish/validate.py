"""Validation with the pandera schemas: of each batch before it is written, and of a published folder."""
from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_arrow
import pyarrow.parquet as pq

from schemas import Corpus, Rejects, Removals, arrow_schema
from schemas.corpus import corpus_schema

TABLES = {"data": Corpus, "removals": Removals, "rejects": Rejects}


def to_frame(table: pa_arrow.Table) -> pd.DataFrame:
    return table.to_pandas(types_mapper=pd.ArrowDtype)


def failed_rows(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> dict[int, list[str]]:
    """Row position -> the checks it fails ('column: check'); {} when every row passes."""
    try:
        schema.validate(frame, lazy=True)
        return {}
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
    failures: dict[int, list[str]] = {}
    for case in cases.itertuples(index=False):
        if case.index is None or pd.isna(case.index):
            raise ValueError(f"schema failure that is not about one row: {case.column}: {case.check}")
        label = f"{case.column or 'row'}: {case.check}"
        failures.setdefault(int(case.index), [])
        if label not in failures[int(case.index)]:
            failures[int(case.index)].append(label)
    return failures


def split_valid(table: pa_arrow.Table, relaxed: tuple[str, ...] = ()) -> tuple[pa_arrow.Table, dict[int, list[str]]]:
    """(rows that pass the corpus schema, cast to it; failing row positions with their checks).

    `relaxed`: rule families the run switched off, whose lines the text may keep."""
    failures = failed_rows(corpus_schema(relaxed), to_frame(table))
    if failures:
        keep = [i for i in range(table.num_rows) if i not in failures]
        table = table.take(pa_arrow.array(keep, pa_arrow.int64()))
    return table.cast(arrow_schema(Corpus)), failures


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


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _check_table_files(root: Path, kind: str, model: type[pa.DataFrameModel], report: Report,
                       seen_ids: dict[str, set], relaxed: tuple[str, ...]) -> None:
    files = sorted((root / kind).glob("*.parquet")) if (root / kind).is_dir() else []
    expected = arrow_schema(model)
    report.rows[kind] = 0
    for path in files:
        name = path.relative_to(root).as_posix()
        try:
            table = pq.read_table(path)
        except (OSError, pa_arrow.ArrowInvalid) as exc:
            report.add(name, f"unreadable Parquet file: {exc}")
            continue
        report.rows[kind] += table.num_rows
        if not table.schema.equals(expected, check_metadata=False):
            report.add(name, f"Arrow schema differs from schemas/: {table.schema.names} vs {expected.names}")
            continue
        frame = to_frame(table)
        schema = corpus_schema(relaxed) if model is Corpus else model.to_schema()
        try:
            schema.validate(frame, lazy=True)
        except pa.errors.SchemaErrors as errors:
            for case in errors.failure_cases.itertuples(index=False):
                row_id = None
                if case.index is not None and not pd.isna(case.index) and "id" in frame:
                    row_id = str(frame["id"].iloc[int(case.index)])
                report.add(name, f"{case.column}: {case.check}", row_id, case.failure_case)
        if kind == "data":  # uniqueness across shards, not only within one
            for column in ("id", "content_hash"):
                seen = seen_ids.setdefault(column, set())
                for value, row_id in zip(table[column].to_pylist(), table["id"].to_pylist()):
                    if value in seen:
                        report.add(name, f"{column}: unique across shards", row_id, value)
                    seen.add(value)


def _check_manifest(root: Path, report: Report) -> tuple[str, ...]:
    """Check the manifest's files; returns the rule families the release's run switched off."""
    path = root / "manifest.json"
    if not path.exists():
        report.add("manifest.json", "missing")
        return ()
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        files = manifest["files"]
        relaxed = tuple(manifest.get("relaxed_families", ()))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        report.add("manifest.json", f"not a valid manifest: {exc}")
        return ()
    listed = set()
    for entry in files:
        name = entry.get("path", "?")
        listed.add(name)
        path = root / name
        if not path.is_file():
            report.add(name, "listed in manifest.json but missing")
            continue
        if path.stat().st_size != entry.get("bytes"):
            report.add(name, f"size {path.stat().st_size} differs from manifest ({entry.get('bytes')})")
        if sha256_file(path) != entry.get("sha256"):
            report.add(name, "sha256 differs from manifest.json: the file was changed")
        if "rows" in entry and name.endswith(".parquet"):
            try:
                rows = pq.ParquetFile(path).metadata.num_rows
            except (OSError, pa_arrow.ArrowInvalid):
                continue
            if rows != entry["rows"]:
                report.add(name, f"{rows} rows, manifest.json says {entry['rows']}")
    for kind in TABLES:
        for path in sorted((root / kind).glob("*")) if (root / kind).is_dir() else []:
            if path.relative_to(root).as_posix() not in listed:
                report.add(path.relative_to(root).as_posix(), "not listed in manifest.json")
    return relaxed


def validate_release(directory: str | Path) -> Report:
    """Every check on a published folder: manifest, schemas, row checks, cross-shard uniqueness."""
    root = Path(directory)
    report = Report(str(directory))
    if not (root / "data").is_dir() or not any((root / "data").glob("*.parquet")):
        report.add("data/", "no Parquet files: not a published corpus")
        return report
    relaxed = _check_manifest(root, report)
    seen: dict[str, set] = {}
    for kind, model in TABLES.items():
        _check_table_files(root, kind, model, report, seen, relaxed)
    return report
