"""The corpus schema's checks on each batch before it is written (a release's own checks are
`validate.py`'s): rows that fail are quarantined with the checks they fail, the rest published."""
from __future__ import annotations

from functools import lru_cache

import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_arrow

from newsclean.schemas import Corpus, arrow_schema
from newsclean.schemas.corpus import corpus_schema

from .prescreen import narrowed, prescreen


def to_frame(table: pa_arrow.Table) -> pd.DataFrame:
    return table.to_pandas(types_mapper=pd.ArrowDtype)


def failure_label(case) -> str:
    """'column: check'; a frame-wide check (pandera lists it once per column) is 'row: check'."""
    if case.schema_context == "DataFrameSchema" and case.index is not None and not pd.isna(case.index):
        return f"row: {case.check}"
    return f"{case.column or 'row'}: {case.check}"


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
        label = failure_label(case)
        failures.setdefault(int(case.index), [])
        if label not in failures[int(case.index)]:
            failures[int(case.index)].append(label)
    return failures


# Uniqueness belongs to the release, not to a batch: of an id given twice the first in input
# position is published (publish/repeats.py) and equal texts are folded into one row by the corpus stage,
# wherever in the input the two stand; `validate_files` checks both over the published shards.
# Checked per batch, two equal texts in one batch were both rejected (and lost) where two in
# different batches were folded.
RELEASE_WIDE = ("id", "content_hash")


@lru_cache(maxsize=32)
def batch_schema(relaxed: tuple[str, ...] = ()) -> pa.DataFrameSchema:
    """The corpus schema without the checks that need the whole release (RELEASE_WIDE)."""
    return corpus_schema(relaxed).update_columns({name: {"unique": False} for name in RELEASE_WIDE})


def split_valid(table: pa_arrow.Table, relaxed: tuple[str, ...] = ()) -> tuple[pa_arrow.Table, dict[int, list[str]]]:
    """(rows that pass the corpus schema's row checks, cast to it; failing row positions with
    their checks). Uniqueness is the release's (batch_schema).

    `relaxed`: rule families the run switched off, whose lines the text may keep."""
    schema, frame = batch_schema(relaxed), to_frame(table)
    screen = prescreen(schema, table, frame)
    if screen is None:
        failures = failed_rows(schema, frame)
    else:  # pandera itself on the rows and checks that may fail: its labels, a fraction of its cost
        suspects = screen.suspects()
        failures = {}
        if suspects:
            rows = to_frame(table.take(pa_arrow.array(suspects, pa_arrow.int64())))
            found = failed_rows(narrowed(schema, screen), rows)
            failures = {suspects[j]: checks for j, checks in sorted(found.items())}
    if failures:
        keep = [i for i in range(table.num_rows) if i not in failures]
        table = table.take(pa_arrow.array(keep, pa_arrow.int64()))
    return table.cast(arrow_schema(Corpus)), failures
