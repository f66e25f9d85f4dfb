"""Sorted runs: a merge in groups (bounded fan-in) gives the rows a single merge gives."""
from __future__ import annotations

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from newsclean.options import PublishOptions
from newsclean.publish.shards import merge_runs, reduce_runs, sort_table, write_parquet

SCHEMA = pa.schema([("id", pa.string()), ("line", pa.int64()), ("run", pa.int64())])
OPTIONS = PublishOptions(compression="zstd", compression_level=1, row_group_rows=7)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.tuples(st.sampled_from("abcdefgh"), st.integers(0, 3)), max_size=30),
                min_size=1, max_size=12),
       st.integers(2, 4))
def test_grouped_merge_equals_single_merge(tmp_path_factory, runs, fan_in):
    folder = tmp_path_factory.mktemp("runs")
    paths = []
    for number, rows in enumerate(runs):  # equal keys across runs: their order must be kept
        table = pa.Table.from_pylist([{"id": i, "line": n, "run": number} for i, n in rows], schema=SCHEMA)
        path = folder / f"run-{number:03d}.parquet"
        write_parquet(sort_table(table, ("id", "line")), path, OPTIONS)
        paths.append(path)
    single = pa.concat_tables([SCHEMA.empty_table(), *merge_runs(paths, ("id", "line"), SCHEMA)])
    reduced = reduce_runs(list(paths), ("id", "line"), SCHEMA, OPTIONS, fan_in=fan_in)
    assert len(reduced) <= fan_in
    grouped = pa.concat_tables([SCHEMA.empty_table(), *merge_runs(reduced, ("id", "line"), SCHEMA)])
    assert grouped.equals(single)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abcdefghij"), st.integers(0, 3)), max_size=80),
       st.lists(st.integers(0, 80), max_size=6), st.booleans())
def test_merge_equals_a_stable_sort_of_the_runs_in_order(tmp_path_factory, rows, cuts, ordered):
    """The definition: every run's rows, run after run, stably sorted. Ordered input makes runs
    that do not overlap (then each round takes rows of one run only), unordered input runs that do."""
    folder = tmp_path_factory.mktemp("runs")
    if ordered:
        rows = sorted(rows)
    bounds = [0, *sorted(cuts), len(rows)]
    tables, paths = [], []
    for number, (lo, hi) in enumerate(zip(bounds, bounds[1:])):
        table = pa.Table.from_pylist([{"id": i, "line": n, "run": number} for i, n in rows[lo:hi]],
                                     schema=SCHEMA)
        path = folder / f"run-{number:03d}.parquet"
        write_parquet(sort_table(table, ("id", "line")), path, OPTIONS)
        tables.append(table)
        paths.append(path)
    merged = pa.concat_tables([SCHEMA.empty_table(), *merge_runs(paths, ("id", "line"), SCHEMA)])
    assert merged.equals(sort_table(pa.concat_tables(tables), ("id", "line")))
