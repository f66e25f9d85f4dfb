"""Every shard written on its own, one per task (`publish.data_shards`, `publish.side_shards`,
`engines.ray_shards`): every published byte the local engine's streams write, whatever the shard
and row-group sizes, the input order, the spill and merge sizes or the number of actors; and with
`--engine ray` the driver streams no row into a shard and writes or checks no side table."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from newsclean import run
from newsclean.corpus import CorpusStage
from newsclean.engines import LocalEngine, RayEngine
from newsclean.options import Options, PublishOptions
from newsclean.publish.data_shards import ShardTasks, write_data_shard
from newsclean.publish.side_shards import plan_side_shards, write_side_shard
from test_determinism import _corpus, _release_bytes
from test_repeated_ids import _inputs


@dataclasses.dataclass(frozen=True)
class ShardsOneByOne(LocalEngine):
    """The local engine, every shard written from the plan one at a time, last first, in this
    process: what a Ray task does with each, without Ray."""

    def shard_tasks(self):
        def data(shards, source, folder, options):
            SOURCES.append("runs" if source.clean is None else "clean")
            return [write_data_shard(shard, source, str(folder), options) for shard in shards[::-1]][::-1]

        def side(tables, staging, options):
            plans = {table.kind: plan_side_shards(table, options.shard_rows) for table in tables}
            return {table.kind: [write_side_shard(table, shard, str(staging), options)
                                 for shard in plans[table.kind][::-1]][::-1] for table in tables}
        return ShardTasks(data, side)


SOURCES: list[str] = []  # where each run's shards read their rows from

def _options(shard_rows: int, row_group_rows: int, **changes) -> Options:
    publish = PublishOptions(shard_rows=shard_rows, row_group_rows=row_group_rows)
    return dataclasses.replace(Options(), publish=publish, **changes)


@pytest.fixture(scope="module")
def corpora(tmp_path_factory) -> dict[str, list[Path]]:
    """One corpus with template lines (pass 2 keeps its own copy of the rows) and copies, one of
    repeated ids without template lines (the shards read the sorted runs by id range)."""
    root = tmp_path_factory.mktemp("shards")
    (root / "templates").mkdir()
    (root / "repeats").mkdir()
    return {"templates": _corpus(root / "templates"), "repeats": _inputs(root / "repeats")[0]}


@pytest.mark.parametrize("name", ["templates", "repeats"])
def test_shards_written_one_by_one_are_the_streamed_bytes(corpora, tmp_path, monkeypatch, name):
    import newsclean.publish.runs as release_runs

    inputs = corpora[name]
    monkeypatch.chdir(inputs[0].parent)
    SOURCES.clear()
    for shard_rows, row_group_rows in ((1, 1), (2, 1000), (3, 2), (5, 3), (8, 8), (13, 4), (1000, 7)):
        options = _options(shard_rows, row_group_rows, batch_docs=7)
        streamed, planned = tmp_path / f"streamed-{shard_rows}", tmp_path / f"planned-{shard_rows}"
        run(inputs, streamed, options)
        with monkeypatch.context() as patch:
            patch.setattr(release_runs, "SPILL_BYTES", 1)  # every batch a run of its own
            _stream_nothing(patch)
            run(inputs[::-1], planned, options, engine=ShardsOneByOne())
        expected, got = _release_bytes(streamed), _release_bytes(planned)
        assert sorted(got) == sorted(expected)
        assert [n for n in expected if got[n] != expected[n]] == [], (name, shard_rows)
        shards = sorted((streamed / "data").glob("*.parquet"))
        rows = sum(pq.ParquetFile(path).metadata.num_rows for path in shards)
        assert len(shards) == max(1, -(-rows // shard_rows)) and rows > 0
    # pass 2's copy when it stripped template lines, else the sorted runs merged by id range
    assert set(SOURCES) == {"clean" if name == "templates" else "runs"}


def test_an_empty_corpus_has_one_empty_shard_either_way(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "bad.jsonl").write_text('{"id": "x", "text": \n', encoding="utf-8")
    run([tmp_path / "in"], tmp_path / "streamed")
    run([tmp_path / "in"], tmp_path / "planned", engine=ShardsOneByOne())
    assert _release_bytes(tmp_path / "planned") == _release_bytes(tmp_path / "streamed")
    assert pq.ParquetFile(tmp_path / "planned" / "data" / "train-00000-of-00001.parquet").metadata.num_rows == 0


def _no_streaming(*_args, **_kwargs):
    raise AssertionError("the driver streamed rows into a shard")


def _stream_nothing(patch) -> None:
    """Fail the run if the driver streams the data shards' rows or writes or checks a side table."""
    import newsclean.publish.release as release

    patch.setattr(CorpusStage, "published", _no_streaming)
    patch.setattr(release, "write_sorted", _no_streaming)
    patch.setattr(release, "validate_audit_tables", _no_streaming)


ray = pytest.importorskip("ray")


@pytest.mark.parametrize("name", ["templates", "repeats"])
def test_ray_writes_each_shard_in_a_task(local_ray, corpora, tmp_path, monkeypatch, name):
    """Several shards of every table, several runs merged in two rounds, the inputs reversed, 1
    or 2 actors: the local release byte for byte, and no shard's row passed through the driver."""
    import newsclean.publish.runs as release_runs
    import newsclean.publish.shards as shards

    inputs = corpora[name]
    monkeypatch.chdir(inputs[0].parent)
    options = _options(3, 2, batch_docs=5)
    run(inputs, tmp_path / "local", options)
    local = _release_bytes(tmp_path / "local")
    assert len(list((tmp_path / "local" / "data").glob("*.parquet"))) >= 3
    for actors in (1, 2):
        out = tmp_path / f"ray-{actors}"
        with monkeypatch.context() as patch:
            patch.setattr(release_runs, "SPILL_BYTES", 1)
            patch.setattr(shards, "MAX_MERGE_RUNS", 2)
            patch.setattr(shards, "MERGE_BATCH_ROWS", 2)
            _stream_nothing(patch)
            run(inputs[::-1], out, dataclasses.replace(options, workers=actors), engine=RayEngine(actors=actors))
        got = _release_bytes(out)
        assert sorted(got) == sorted(local)
        assert [n for n in local if got[n] != local[n]] == [], (name, actors)


def test_only_the_ray_engine_writes_shards_in_tasks():
    assert LocalEngine().shard_tasks() is None
    assert RayEngine(write_shards_in_tasks=False).shard_tasks() is None
    tasks = RayEngine().shard_tasks()
    assert (tasks.data.__name__, tasks.side.__name__) == ("shards_by_tasks", "side_tables_by_tasks")


def test_a_merge_of_an_id_range_reads_only_the_row_groups_that_reach_into_it(tmp_path, monkeypatch):
    import random

    import pyarrow as pa

    from newsclean.publish import shards

    rng = random.Random(3)
    schema = pa.schema([("id", pa.string()), ("n", pa.int64())])
    ids = [f"d{rng.randrange(10_000):05d}" for _ in range(900)]
    runs = []
    for k in range(3):  # three sorted runs, row groups of 50 rows (id statistics in each)
        part = sorted((i, n) for n, i in enumerate(ids[k::3]))
        runs.append(tmp_path / f"run-{k}.parquet")
        pq.write_table(pa.table({"id": [i for i, _ in part], "n": [n for _, n in part]}, schema=schema),
                       runs[-1], row_group_size=50)
    whole = pa.concat_tables(shards.merge_runs(runs, ("id", "n"), schema))
    read: list[int] = []
    groups_in = shards.groups_in
    monkeypatch.setattr(shards, "groups_in", lambda file, ids: read.append(len(g := groups_in(file, ids))) or g)
    for bounds in ((None, None), (None, "d03000"), ("d03000", "d03000"), ("d02500", "d02600"),
                   (ids[0], ids[1]), ("d09999", None), ("e", None)):
        read.clear()
        got = shards.merge_runs(runs, ("id", "n"), schema, ids=bounds)
        part = pa.concat_tables(list(got) or [schema.empty_table()])
        assert part.to_pylist() == shards.in_id_range(whole, bounds).to_pylist(), bounds
        if bounds == ("d02500", "d02600"):
            assert sum(read) <= 6  # of 18 row groups: the range is ~1% of the ids


def _plan_in_one_pass(table, shard_rows: int) -> list:
    """The plan as one pass over the whole merged table made it (before the plan by id ranges):
    the reference the ranges' rounds must give, shard for shard."""
    import pyarrow.compute as pc

    from newsclean.publish.side_shards import SideShard

    starts: list[tuple[str | None, int]] = [(None, 0)]
    position, last_id, same = 0, None, 0
    for part in table.rows():
        ids, n = part["id"], part.num_rows
        while len(starts) * shard_rows < position + n:
            at = len(starts) * shard_rows - position
            first_id = ids[at].as_py()
            first = pc.index(ids, first_id).as_py()
            starts.append((first_id, at - first + (same if first == 0 and first_id == last_id else 0)))
        tail = ids[n - 1].as_py()
        first = pc.index(ids, tail).as_py()
        same = n - first + (same if first == 0 and tail == last_id else 0)
        last_id, position = tail, position + n
    ends = [first_id for first_id, _ in starts[1:]] + [None]
    return [SideShard(k, position, min(shard_rows, position - k * shard_rows), first_id, skip, ends[k])
            for k, (first_id, skip) in enumerate(starts)]


def _removal_runs(tmp_path: Path) -> tuple[list[Path], list[str], "pa.Array"]:
    """Three sorted removal runs (ids shared across them, an id's lines in several runs and row
    groups, POSITION in two of them), their ids, and positions to leave out."""
    import random

    import pyarrow as pa

    from newsclean.publish.repeats import POSITION, POSITION_FIELD
    from newsclean.schemas import Removals, arrow_schema

    rng = random.Random(11)
    schema = arrow_schema(Removals)
    rows = [(f"d{rng.randrange(60):02d}", line, position) for position, line in enumerate(rng.sample(range(10_000), 700))]
    runs = []
    for k in range(3):
        part = sorted(rows[k::3])
        table = {field.name: [0 if pa.types.is_integer(field.type) else "" if not field.nullable else None] * len(part)
                 for field in schema}
        table.update(id=[i for i, _, _ in part], line=[line for _, line, _ in part])
        run_schema = schema
        if k < 2:  # the workers' runs carry each row's input position; pass 2's own removals do not
            table[POSITION] = [p for _, _, p in part]
            run_schema = schema.append(POSITION_FIELD)
        runs.append(tmp_path / f"removals-{k}.parquet")
        pq.write_table(pa.table(table, schema=run_schema), runs[-1], row_group_size=9)
    left_out = pa.array(sorted(p for _, _, p in rows[::7] if p % 3 != 2), pa.uint64())
    return runs, sorted({i for i, _, _ in rows}), left_out


def test_a_side_plan_by_id_ranges_is_the_one_pass_plan(tmp_path):
    """The plan's rounds over id ranges cut many ways (one id, a few, between ids, whole, cut
    from the footers), rows left out by id and by position: the one pass's plan, shard for shard."""
    import pyarrow as pa

    from newsclean.publish import side_shards
    from newsclean.publish.runs import KEYS
    from newsclean.publish.side_shards import SortedTable, plan_side_shards
    from newsclean.schemas import Removals, arrow_schema

    runs, ids, left_out = _removal_runs(tmp_path)
    cuts = {"one": ids[1:], "few": ids[3::5], "between": [i + "!" for i in ids[::4]], "whole": []}
    for dropped in (None, pa.array(ids[2::9])):
        for positions in (pa.array([], pa.uint64()), left_out):
            for way, edges in [*cuts.items(), ("footers", None)]:
                ranges = None if edges is None else tuple(zip([None, *edges], [*edges, None]))
                table = SortedTable("removals", "removals", tuple(map(str, runs)), KEYS["removals"],
                                    arrow_schema(Removals), dropped, positions, "rule", ranges=ranges)
                if edges is None:  # cut from the runs' footers, ~40 rows a range
                    assert len(side_shards.side_ranges(dataclasses.replace(table))) == 1
                    with pytest.MonkeyPatch.context() as patch:
                        patch.setattr(side_shards, "SIDE_RANGE_ROWS", 40)
                        assert len(side_shards.side_ranges(table)) > 5
                        plans = {rows: plan_side_shards(table, rows) for rows in (1, 2, 3, 7, 64, 10_000)}
                else:
                    plans = {rows: plan_side_shards(table, rows) for rows in (1, 2, 3, 7, 64, 10_000)}
                for rows, plan in plans.items():
                    assert plan == _plan_in_one_pass(table, rows), (way, rows, dropped is None, len(positions))
                    assert sum(shard.rows for shard in plan) == plan[0].total_rows > 400


def test_an_empty_side_table_is_one_empty_shard(tmp_path):
    from newsclean.publish.side_shards import SideShard, SortedTable, plan_side_shards
    from newsclean.schemas import Duplicates, arrow_schema

    path = tmp_path / "duplicates.parquet"
    pq.write_table(arrow_schema(Duplicates).empty_table(), path)
    table = SortedTable("duplicates", "duplicates", (str(path),), ("id",), arrow_schema(Duplicates),
                        ranges=((None, "m"), ("m", None)))
    assert plan_side_shards(table, 5) == [SideShard(0, 0, 0, None, 0, None)] == _plan_in_one_pass(table, 5)


def test_a_side_table_opens_only_the_parts_that_may_hold_the_ids_read(tmp_path):
    """Pass 2's parts, one per id range, given their ranges (`run_ranges`): the same rows and
    plans as with every part opened, and a reader of one range opens its own part only."""
    import pyarrow as pa

    from newsclean.publish.runs import KEYS
    from newsclean.publish.side_shards import SortedTable, plan_side_shards
    from newsclean.schemas import Removals, arrow_schema

    runs, ids, left_out = _removal_runs(tmp_path)
    whole = pq.read_table(runs[2])  # pass 2's own removals (no POSITION), cut into a part per range
    edges = [None, ids[10], ids[11], ids[30], None]
    ranges = tuple(zip(edges[:-1], edges[1:]))
    parts = []
    for number, (low, high) in enumerate(ranges):
        part = whole.filter(pa.array([(low is None or i >= low) and (high is None or i < high)
                                      for i in whole["id"].to_pylist()]))
        parts.append(tmp_path / f"part-{number}.parquet")
        pq.write_table(part, parts[-1], row_group_size=9)
    base = SortedTable("removals", "removals", tuple(map(str, runs[:2] + parts)), KEYS["removals"],
                       arrow_schema(Removals), pa.array(ids[2::9]), left_out, "rule", ranges=ranges)
    known = dataclasses.replace(base, run_ranges=(None, None, *ranges))
    assert [str(p) for p in known._runs_in(ranges[2])] == [str(runs[0]), str(runs[1]), str(parts[2])]
    assert len(known._runs_in(None)) == len(base._runs_in(ranges[2])) == 6
    assert [str(p) for p in known._runs_in((ids[10], ids[31]))][2:] == [str(parts[1]), str(parts[2]), str(parts[3])]
    for ids_read in (None, *ranges, (ids[5], ids[40])):
        assert pa.concat_tables(known.rows(ids_read)).to_pylist() == pa.concat_tables(base.rows(ids_read)).to_pylist()
    for rows in (1, 4, 50):
        assert plan_side_shards(known, rows) == plan_side_shards(base, rows) == _plan_in_one_pass(base, rows)
