"""The row checks of a published file's tables, shared by `validate.py` (a release's files) and
`data_checks.py` (a data shard checked in a task): the rows cast to the schema's types, then every
pandera check on them, a slice at a time while they pass, whole for pandera's report when not.

Kept apart from `validate.py` (which imports these) so that `data_checks.py` can use them too
without an import cycle: this module imports `validate.py` only for the `Report` type, when type
checking."""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, Iterator

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_arrow
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .batch_checks import failure_label, to_frame

if TYPE_CHECKING:
    from .validate import Report


# The row checks of a published file run on slices of about this much Arrow data (rows read a
# record batch at a time), so a 100,000-row shard never becomes one pandas frame; only a file
# with a failing row is checked again whole, for pandera's own report of it.
SLICE_BYTES = 4 << 20


def conform(table: pa_arrow.Table, expected: pa_arrow.Schema) -> tuple[pa_arrow.Table, dict[str, list[int]]]:
    """The table cast to the schema's types (nullability relaxed), so its rows can be checked;
    and, per column that does not cast, the positions of the values that do not convert."""
    columns, unconvertible = [], {}
    for want in expected:
        column = table[want.name]
        if not column.type.equals(want.type):
            try:
                column = column.cast(want.type)
            except (pa_arrow.ArrowInvalid, pa_arrow.ArrowNotImplementedError, pa_arrow.ArrowTypeError):
                unconvertible[want.name] = [i for i, value in enumerate(column) if not _casts(value, want.type)]
        columns.append(column)
    if unconvertible:
        return table, unconvertible
    fields = [f.with_nullable(True) for f in expected]
    return pa_arrow.Table.from_arrays(columns, schema=pa_arrow.schema(fields)), {}


def _casts(value: pa_arrow.Scalar, to: pa_arrow.DataType) -> bool:
    try:
        value.cast(to)
        return True
    except (pa_arrow.ArrowInvalid, pa_arrow.ArrowNotImplementedError, pa_arrow.ArrowTypeError):
        return False


def _row_id(table: pa_arrow.Table, position: int) -> str | None:
    if "id" not in table.column_names:
        return None
    value = table["id"][position].as_py()
    return None if value is None else str(value)


def _check_rows(name: str, table: pa_arrow.Table, schema: pa.DataFrameSchema, report: Report) -> None:
    """Every pandera check on every row, each failure reported once with the row's id."""
    try:
        schema.validate(to_frame(table), lazy=True)
        return
    except pa.errors.SchemaErrors as errors:
        cases = errors.failure_cases
    reported = set()
    for case in cases.itertuples(index=False):
        row = None if case.index is None or pd.isna(case.index) else int(case.index)
        label, value = failure_label(case), case.failure_case
        if (row, label) in reported:
            continue
        reported.add((row, label))
        if label.startswith("row: date_in_range") and "published" in table.column_names:
            value = table["published"][row].as_py()
        report.add(name, label, None if row is None else _row_id(table, row), value)


def _unique_columns(schema: pa.DataFrameSchema) -> list[str]:
    columns = [name for name, column in schema.columns.items() if column.unique]
    for entry in schema.unique or ():
        columns += [entry] if isinstance(entry, str) else list(entry)
    return columns


def _repeats(table: pa_arrow.Table, columns: Iterable[str]) -> bool:
    """Whether any of these columns holds a value twice (nulls count as values)."""
    return any(pc.count_distinct(table[c], mode="all").as_py() < table.num_rows for c in columns)


def _slices(batches: Iterable[pa_arrow.RecordBatch]) -> Iterator[pa_arrow.Table]:
    """The batches' rows, in order, as tables of about SLICE_BYTES each."""
    pending, size = [], 0
    for batch in batches:
        if batch.num_rows:
            pending.append(batch)
            size += batch.nbytes
        if size >= SLICE_BYTES:
            yield pa_arrow.Table.from_batches(pending)
            pending, size = [], 0
    if pending:
        yield pa_arrow.Table.from_batches(pending)


def _passes(slices: Iterable[pa_arrow.Table], schema: pa.DataFrameSchema, expected: pa_arrow.Schema) -> bool:
    """Whether every row check passes on every slice (the slices' types already match `expected`).

    A check of one row does not depend on the others, except `unique`: the caller checks that
    over all the slices. So when this is True, the checks on all the rows at once pass too."""
    for table in slices:
        table, _ = conform(table, expected)
        try:
            schema.validate(to_frame(table), lazy=True)
        except pa.errors.SchemaErrors:
            return False
    return True


def _rows_at(shard: pq.ParquetFile, positions: np.ndarray) -> Iterator[pa_arrow.Table]:
    """The rows at these (ascending) positions of the file, read a row group at a time."""
    start = 0
    for group in range(shard.metadata.num_row_groups):
        end = start + shard.metadata.row_group(group).num_rows
        lo, hi = np.searchsorted(positions, [start, end])
        if hi > lo:
            at = pa_arrow.array(positions[lo:hi] - start, pa_arrow.int64())
            yield shard.read_row_group(group, use_threads=False).take(at)
        start = end


def recheck_rows(name: str, shard: pq.ParquetFile, positions: np.ndarray, keys: pa_arrow.Table,
                 schema: pa.DataFrameSchema, expected: pa_arrow.Schema, report: Report) -> None:
    """Every row check on the rows at `positions`, as one table of them would be checked: in
    slices when all pass (and no unique column repeats among them); else all of them together,
    for pandera's report."""
    unique = _unique_columns(schema)
    chosen = keys.take(pa_arrow.array(positions, pa_arrow.int64()))
    if set(unique) <= set(keys.column_names) and not (unique and _repeats(chosen.select(unique), unique)):
        batches = (batch for table in _rows_at(shard, positions) for batch in table.to_batches())
        if _passes(_slices(batches), schema, expected):
            return
    table = pa_arrow.concat_tables(list(_rows_at(shard, positions)))
    table, _ = conform(table, expected)
    _check_rows(name, table, schema, report)
