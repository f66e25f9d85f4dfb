"""Which rows of a batch certainly pass a pandera schema, without pandera's per-call machinery.

Pandera's `validate` costs a fixed ~50 ms per call (dtype engines, per-check pre- and
post-processing, failure-case frames) whatever the batch size: more than all its checks together
on a batch of 500 articles. `prescreen` runs the schema's own check functions (the same callables
pandera would call, with the same arguments) straight on the columns, and answers per row "passes
every check" or "may fail", and per column whether any of its checks may fail. `split_valid` then
asks pandera only about the rows that may fail, with a schema narrowed to the columns (and frame
checks) that may fail, so the failure labels are pandera's own.

The answer is conservative by construction: whatever this module does not recognise (a grouped
or element-wise check, coercion, a multi-column uniqueness, a dtype that differs, an output that
is not one boolean per row) makes the rows concerned "may fail", or returns None ("ask pandera
about the whole batch"). Every check of the corpus schema is row-local except `unique`, and rows
with a repeated value are all marked "may fail", so they reach pandera together.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow

_backends_ready = False


@dataclass
class Screen:
    passing: np.ndarray  # bool per row: passes every check for sure
    columns: list[str]  # columns with a check that may fail on some row
    frame_checks: bool  # whether a frame-wide check may fail on some row

    def suspects(self) -> list[int]:
        return np.flatnonzero(~self.passing).tolist()


def _register_backends(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> None:
    """Pandera registers the pandas implementations of its builtin checks on first validation:
    validate no rows once (cheap) so that the check functions can be called directly."""
    global _backends_ready
    if not _backends_ready:
        try:
            schema.validate(frame.iloc[:0], lazy=True)
        except (pa.errors.SchemaErrors, pa.errors.SchemaError):
            pass
        _backends_ready = True


def _as_mask(output, rows: int) -> np.ndarray | None:
    """A check's output as one boolean per row (NA counts as a failure), or None if it is not one."""
    if isinstance(output, (bool, np.bool_)):
        return np.full(rows, bool(output))
    if isinstance(output, pd.Series) and len(output) == rows:
        return output.fillna(False).to_numpy(dtype=bool)
    return None


def _run_check(check: pa.Check, data, rows: int) -> np.ndarray | None:
    if check.groupby is not None or check.element_wise or getattr(check, "_check_fn", None) is None:
        return None
    try:
        output = check._check_fn(data, **getattr(check, "_check_kwargs", {}))
    except KeyError:  # pandera dispatches builtin checks by data type: no pandas backend yet
        return None
    return _as_mask(output, rows)


def prescreen(schema: pa.DataFrameSchema, table: pyarrow.Table, frame: pd.DataFrame) -> Screen | None:
    """Rows that pass every check of `schema` for sure; None when only pandera can tell.

    `frame` is `table` as pandas with Arrow dtypes (what pandera would validate)."""
    _register_backends(schema, frame)
    columns = schema.columns
    if schema.coerce or schema.unique or schema.add_missing_columns or schema.index is not None:
        return None
    if (schema.strict or schema.ordered) and list(frame.columns) != list(columns):
        return None
    if not set(columns) <= set(frame.columns):
        return None
    rows = len(frame)
    passing = np.ones(rows, dtype=bool)
    failing_columns = []
    for name, column in columns.items():
        if column.coerce or column.regex or getattr(column, "drop_invalid_rows", False):
            return None
        want = getattr(column.dtype.type, "pyarrow_dtype", None) if column.dtype is not None else None
        if want is None or not table.schema.field(name).type.equals(want):
            return None
        series = frame[name]
        ok = np.ones(rows, dtype=bool)
        nulls = table[name].is_null().to_numpy(zero_copy_only=False)
        if not column.nullable:
            ok &= ~nulls
        if column.unique:
            ok &= ~(series.duplicated(keep=False).to_numpy(dtype=bool) | nulls)
        for check in column.checks:
            if check.ignore_na and nulls.any():
                mask = _run_check(check, series[~nulls], int((~nulls).sum()))
                if mask is not None:
                    full = np.ones(rows, dtype=bool)
                    full[~nulls] = mask
                    mask = full
            else:
                mask = _run_check(check, series, rows)
            if mask is None:
                return None
            ok &= mask
        if not ok.all():
            failing_columns.append(name)
            passing &= ok
    frame_checks = False
    for check in schema.checks:
        mask = _run_check(check, frame, rows)
        if mask is None:
            return None
        if not mask.all():
            frame_checks = True
            passing &= mask
    return Screen(passing, failing_columns, frame_checks)


def narrowed(schema: pa.DataFrameSchema, screen: Screen) -> pa.DataFrameSchema:
    """The schema with only the columns and frame checks that may fail, neither strict nor ordered:
    on the suspect rows it reports exactly the failures the whole schema would (the others pass)."""
    return pa.DataFrameSchema({name: schema.columns[name] for name in screen.columns},
                              checks=list(schema.checks) if screen.frame_checks else [],
                              strict=False, ordered=False, coerce=False, name=schema.name)
