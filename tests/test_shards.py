"""Sorted runs: a merge in groups (bounded fan-in) gives the rows a single merge gives."""
from __future__ import annotations

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.options import PublishOptions
from pipeline.publish.shards import merge_runs, reduce_runs, sort_table, write_parquet

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
