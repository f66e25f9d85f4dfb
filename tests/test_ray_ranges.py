"""Pass 2 of the corpus stage by id ranges (`corpus.ranges`, `engines.ray_ranges`): each range
merged, its repeated ids left out, template lines stripped and rows re-signed on its own, then
numbered by the ranges' counts (their signature files read as one, `signature_parts`), gives the
driver's stream: the same signatures (row numbers, band keys, raw signatures) and every published byte, however the id space is cut (ranges of one id,
two, many; cuts at a repeated id and just after it; cuts between ids), in whatever order the
ranges run, the data runs merged down a group at a time in any order; and with `--engine ray`
the driver does not merge, strip or sign a row itself."""
from __future__ import annotations

import dataclasses
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from newsclean import run
from newsclean.corpus import CorpusStage
from newsclean.corpus.ranges import RangeJob, RangeTasks, clean_range, number_signatures, plan_id_ranges, staged_positions
from newsclean.corpus.signature_parts import SignatureParts, raw_path
from newsclean.engines import LocalEngine, RayEngine
from newsclean.options import Options, PublishOptions
from newsclean.publish.shards import merge_group
from test_determinism import _corpus, _release_bytes
from test_repeated_ids import _inputs


def _run_ids(job: RangeJob) -> list[str]:
    ids = set()
    for path in job.runs:
        ids.update(pq.read_table(path, columns=["id"])["id"].to_pylist())
    return sorted(ids)


def _cuts(ids: list[str], way: str) -> list[str]:
    """Where the id space is cut: every id (ranges of one id), every other id, a few cuts, or
    at each id and just after it, or between ids (strings that are no id)."""
    if way == "one":
        return ids[1:]
    if way == "two":
        return ids[2::2]
    if way == "few":
        return ids[len(ids) // 3::max(1, len(ids) // 3)]
    if way == "around":
        return sorted({cut for doc_id in ids[1:] for cut in (doc_id, doc_id + "\0")})
    if way == "between":
        return sorted({doc_id[:-1] for doc_id in ids if len(doc_id) > 1} | {"~"})
    return []  # one range: the whole id space


@dataclasses.dataclass(frozen=True)
class RangesHere(LocalEngine):
    """The local engine with pass 2 cut into id ranges `way`, run in this process last range
    first (as tasks may finish), each range on its own: what a Ray task does, without Ray."""

    way: str = "one"

    def range_tasks(self):
        def merger(jobs, keys, schema, options):  # a round's groups, last first
            return [merge_group(group, path, keys, schema, options) for group, path in jobs[::-1]][::-1]

        def runner(job, _planned):
            cuts = _cuts(_run_ids(job), self.way)
            edges = [None, *cuts, None]
            ranges = list(zip(edges[:-1], edges[1:]))
            CUT.append(len(ranges))
            results = [clean_range(job, number, ids) for number, ids in reversed(list(enumerate(ranges)))][::-1]
            number_signatures(results, str(Path(job.folder) / "signatures.parquet"))
            return results
        return RangeTasks(runner, merger)


CUT: list[int] = []  # the ranges each run was cut into


def _options(**changes) -> Options:
    return dataclasses.replace(Options(), publish=PublishOptions(shard_rows=3, row_group_rows=2), **changes)


@pytest.fixture(scope="module")
def corpora(tmp_path_factory) -> dict[str, list[Path]]:
    """Template lines and copies; repeated ids without template lines; both at once."""
    root = tmp_path_factory.mktemp("ranges")
    (root / "templates").mkdir()
    (root / "repeats").mkdir()
    templates, repeats = _corpus(root / "templates"), _inputs(root / "repeats")[0]
    return {"templates": templates, "repeats": repeats, "both": templates + repeats}


def _signatures_read(path: Path) -> tuple[list[dict], bytes]:
    """The signatures' rows as their readers get them (`idx` numbered across the parts), and
    the parts' raw signatures one after another."""
    parts = SignatureParts.of(path)
    rows = [row for table in parts.batches(None, 1000) for row in table.to_pylist()]
    return rows, b"".join(raw_path(Path(part)).read_bytes() for part in parts.paths)


def _signatures_seen(patch) -> list[tuple]:
    """Record what pass 3 is given: the signatures file's rows and the raw signatures."""
    import newsclean.corpus.stage as stage

    seen: list[tuple] = []
    cluster = stage.cluster

    def recorded(path, rows, options, linker=None):
        seen.append((*_signatures_read(path), rows))
        return cluster(path, rows, options, linker)
    patch.setattr(stage, "cluster", recorded)
    return seen


@pytest.mark.parametrize("name", ["templates", "repeats", "both"])
def test_pass2_by_ranges_is_the_drivers_stream(corpora, tmp_path, monkeypatch, name):
    import newsclean.publish.runs as release_runs
    import newsclean.publish.shards as shards

    inputs = corpora[name]
    monkeypatch.chdir(inputs[0].parent)
    options = _options(batch_docs=7)
    with monkeypatch.context() as patch:
        seen = _signatures_seen(patch)
        run(inputs, tmp_path / "local", options)
    expected, (local_signatures,) = _release_bytes(tmp_path / "local"), seen
    assert local_signatures[2] > 5
    CUT.clear()
    for way in ("one", "two", "few", "around", "between", "whole"):
        out = tmp_path / way
        with monkeypatch.context() as patch:
            patch.setattr(release_runs, "SPILL_BYTES", 1)  # every batch a run of its own
            patch.setattr(shards, "MAX_MERGE_RUNS", 3)  # merged down in rounds of groups
            patch.setattr(CorpusStage, "_clean_and_sign", _no_stream)
            seen = _signatures_seen(patch)
            run(inputs[::-1], out, options, engine=RangesHere(way=way))
        assert seen == [local_signatures], (name, way)
        got = _release_bytes(out)
        assert sorted(got) == sorted(expected)
        assert [n for n in expected if got[n] != expected[n]] == [], (name, way)
    assert CUT[0] >= local_signatures[2] and CUT[-1] == 1  # a range per id; one range


def _no_stream(*_args, **_kwargs):
    raise AssertionError("the driver streamed pass 2")


def _blank(kind: pa.DataType):
    """A value of a non-nullable column that the test does not look at."""
    return [] if pa.types.is_list(kind) else 0 if pa.types.is_integer(kind) else ""


def test_a_range_of_repeated_ids_keeps_the_first_and_records_the_others(tmp_path):
    """The rows of one id may sit in several runs and row groups: the range that holds the id
    keeps its smallest position and records the others' rejects and positions."""
    from newsclean.corpus.dedup import SIGNATURE, signature_field
    from newsclean.options import CorpusOptions
    from newsclean.publish.repeats import POSITION, POSITION_FIELD
    from newsclean.schemas import Corpus, arrow_schema

    options = CorpusOptions()
    schema = arrow_schema(Corpus).append(signature_field(options.dedup)).append(POSITION_FIELD)
    rng = random.Random(5)
    rows = [(f"d{rng.randrange(40):02d}", position) for position in range(200)]
    runs = []
    for k in range(3):
        part = sorted(rows[k::3])
        table = {field.name: [_blank(field.type) if not field.nullable else None] * len(part) for field in schema}
        table.update(id=[i for i, _ in part], provenance=[f"f:{p}" for _, p in part],
                     text=[f"text of {i} at {p}" for i, p in part], content_hash=["00" * 32] * len(part),
                     word_count=[4] * len(part), source=["s"] * len(part), url=[None] * len(part))
        table[SIGNATURE] = [bytes(4 * options.dedup.num_perm)] * len(part)
        table[POSITION] = [p for _, p in part]
        runs.append(tmp_path / f"run-{k}.parquet")
        pq.write_table(pa.table(table, schema=schema), runs[-1], row_group_size=7)
    job = RangeJob(tuple(map(str, runs)), schema, str(tmp_path / "corpus"), None, options)
    first = {}
    for doc_id, position in rows:
        first.setdefault(doc_id, position)
    for ranges in (plan_id_ranges(runs, 1), plan_id_ranges(runs, 50), [(None, "d10"), ("d10", "d10\0"), ("d10\0", None)]):
        results = [clean_range(job, number, ids) for number, ids in enumerate(ranges)]
        kept = [row["provenance"] for r in results for row in
                pq.read_table(r.files.signatures, columns=["provenance"]).to_pylist()]
        assert kept == [f"f:{first[i]}" for i in sorted(first)]
        staged = [pq.read_table(r.positions).to_pylist() for r in results]
        for rows_of_range, result in zip(staged, results):  # sorted by key, in the range, counted
            keys = [(row["id"], row[POSITION]) for row in rows_of_range]
            assert keys == sorted(keys) and result.left_out == len(keys)
            assert all((result.ids[0] is None or i >= result.ids[0]) and (result.ids[1] is None or i < result.ids[1])
                       for i, _ in keys)
        left_out = sorted(row[POSITION] for part in staged for row in part)
        assert left_out == sorted(set(range(200)) - set(first.values()))
        assert sum(pq.ParquetFile(r.repeated).metadata.num_rows for r in results) == len(left_out)
        positions = staged_positions(results)
        assert positions.read(None).to_pylist() == left_out
        for low, high in ((None, "d10"), ("d05", "d07"), ("d10\0", None), ("d38", "d38\0")):
            wanted = sorted(p for doc_id, p in rows if p in set(left_out) and (low is None or doc_id >= low)
                            and (high is None or doc_id < high))
            assert positions.read((low, high)).to_pylist() == wanted
            windows = positions.windows((low, high), most=3)
            assert sorted(p for w in windows for p in positions.read(w).to_pylist()) == wanted


def test_planned_ranges_cover_the_ids_in_order(tmp_path):
    schema = pa.schema([("id", pa.string()), ("n", pa.int64())])
    rng = random.Random(9)
    runs = []
    for k in range(4):
        ids = sorted(f"d{rng.randrange(5_000):04d}" for _ in range(300))
        runs.append(tmp_path / f"run-{k}.parquet")
        pq.write_table(pa.table({"id": ids, "n": list(range(300))}, schema=schema), runs[-1], row_group_size=20)
    assert plan_id_ranges(runs, 10_000) == [(None, None)]
    for rows_per_range in (1, 50, 300, 700):
        ranges = plan_id_ranges(runs, rows_per_range)
        assert ranges[0][0] is None and ranges[-1][1] is None
        assert all(a[1] == b[0] for a, b in zip(ranges, ranges[1:]))
        cuts = [high for _, high in ranges[:-1]]
        assert cuts == sorted(set(cuts))
        assert 1 < len(ranges) <= -(-1200 // rows_per_range)


def test_only_the_ray_engine_cleans_ranges_in_tasks():
    assert LocalEngine().range_tasks() is None
    assert RayEngine(clean_ranges_in_tasks=False).range_tasks() is None
    tasks = RayEngine().range_tasks()
    assert (tasks.clean.__name__, tasks.merge.__name__) == ("ranges_by_tasks", "groups_by_tasks")


ray = pytest.importorskip("ray")


@pytest.mark.parametrize("name", ["templates", "both"])
def test_ray_runs_pass2_in_tasks(local_ray, corpora, tmp_path, monkeypatch, name):
    """Ranges of a few rows, several runs, the inputs reversed, 1 or 2 actors: the local release
    byte for byte, and the driver neither streamed pass 2 nor merged the runs for it, nor read a
    side table's id to plan its shards (their ranges' rounds are tasks)."""
    import newsclean.corpus.ranges as ranges
    import newsclean.corpus.stage as stage
    import newsclean.engines.ray_ranges  # noqa: F401  (the tasks' functions, bound before the patches)
    import newsclean.engines.ray_shards  # noqa: F401
    import newsclean.publish.release as release
    import newsclean.publish.runs as release_runs
    import newsclean.publish.shards as shards
    import newsclean.publish.side_shards as side_shards

    inputs = corpora[name]
    monkeypatch.chdir(inputs[0].parent)
    options = _options(batch_docs=5)
    run(inputs, tmp_path / "local", options)
    local = _release_bytes(tmp_path / "local")
    for actors in (1, 2):
        out = tmp_path / f"ray-{actors}"
        with monkeypatch.context() as patch:
            patch.setattr(release_runs, "SPILL_BYTES", 1)
            patch.setattr(shards, "MAX_MERGE_RUNS", 2)
            patch.setattr(ranges, "RANGE_ROWS", 4)
            # the driver's copies of the code (its Ray workers import their own): neither its
            # stream nor a range of it, nor its merge of the runs for pass 2, may run here
            merge_group = shards.merge_group  # the side tables' runs are still merged down beside

            def side_only(group, path, *args):
                assert not Path(path).name.startswith("data-"), "the driver merged the data runs"
                return merge_group(group, path, *args)
            patch.setattr(shards, "merge_group", side_only)
            patch.setattr(CorpusStage, "_clean_and_sign", _no_stream)
            patch.setattr(stage, "write_pass2", _no_stream)
            patch.setattr(ranges, "write_pass2", _no_stream)
            patch.setattr(ranges, "merge_runs", _no_stream)
            patch.setattr(release.ReleaseBuilder, "_first_of_each_id", _no_stream)
            # the side tables' plans by the ranges' tasks (the duplicates' ranges cut at 3 rows):
            # the driver's own count or search of a range, or a plan in one pass, fails the run
            patch.setattr(side_shards, "SIDE_RANGE_ROWS", 3)
            for method in ("ids", "rows"):
                patch.setattr(side_shards.SortedTable, method, _no_side_plan)
            patch.setattr(side_shards, "plan_side_shards", _no_side_plan)
            # units of 4 kB: several a file, so several data runs, merged down in rounds of tasks
            engine = RayEngine(actors=actors, unit_bytes=4096)
            run(inputs[::-1], out, dataclasses.replace(options, workers=actors), engine=engine)
        got = _release_bytes(out)
        assert sorted(got) == sorted(local)
        assert [n for n in local if got[n] != local[n]] == [], (name, actors)


def _no_side_plan(*_args, **_kwargs):
    raise AssertionError("the driver read a side table's rows to plan its shards")


def _spread_repeats(folder: Path) -> list[Path]:
    """Four files sharing many ids (an id up to three times, in any files, each copy with its own
    chrome lines, so its own removals): repeated ids spread over files, runs and id ranges."""
    import json

    from test_repeated_ids import _article

    rng = random.Random(18)
    chrome = [["Advertisement"], ["Source link", "[ad_1]"], ["Story continues below"], []]
    files: dict[str, list[str]] = {name: [] for name in ("d.jsonl", "a.jsonl", "c.jsonl", "b.jsonl")}
    for n in range(40):
        for name in rng.sample(sorted(files), rng.choice((1, 2, 2, 3))):
            files[name].append(json.dumps({"id": f"r{n:02d}", "url": f"https://{name[0]}.example/{n}",
                                           "text": _article(rng, rng.choice(chrome))}))
    paths = []
    for name, lines in files.items():
        rng.shuffle(lines)
        (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(folder / name)
    return paths


def test_ray_leaves_repeated_rows_out_without_the_driver_holding_their_positions(local_ray, tmp_path, monkeypatch):
    """The left-out rows' positions stay in the ranges' files, read by the removals' tasks a
    window of ids at a time: the local release byte for byte though the driver's own reading of
    them raises; the same run with pass 2 in the driver (which holds them) fails; with the side
    tables streamed by the driver, it reads them back from the files: the same bytes."""
    import newsclean.corpus.ranges as ranges
    import newsclean.publish.repeats as repeats
    import newsclean.publish.runs as release_runs

    (tmp_path / "in").mkdir()
    inputs = _spread_repeats(tmp_path / "in")
    monkeypatch.chdir(tmp_path / "in")
    options = _options(batch_docs=5)
    summary = run(inputs, tmp_path / "local", options)
    local = _release_bytes(tmp_path / "local")
    removals = pq.read_table(tmp_path / "local" / "removals", columns=["id"]).num_rows
    assert summary.rejected >= 20 and removals > 20

    def fails(*_args, **_kwargs):
        raise AssertionError("the driver read the left-out rows' positions")
    with monkeypatch.context() as patch:
        patch.setattr(release_runs, "SPILL_BYTES", 1)
        patch.setattr(ranges, "RANGE_ROWS", 4)
        patch.setattr(repeats, "WINDOW_POSITIONS", 3)  # the removals' readers: windows of a few ranges
        patch.setattr(repeats.RepeatedIds, "positions", fails)
        patch.setattr(repeats.StagedPositions, "read", fails)
        run(inputs[::-1], tmp_path / "ray", options, engine=RayEngine(actors=1, unit_bytes=4096))
        with pytest.raises(AssertionError, match="the driver read"):
            run(inputs[::-1], tmp_path / "driver", options, engine=RayEngine(actors=1, clean_ranges_in_tasks=False))
    got = _release_bytes(tmp_path / "ray")
    assert sorted(got) == sorted(local)
    assert [name for name in local if got[name] != local[name]] == []
    # the side tables streamed by the driver (for comparisons): it reads the ranges' files back
    run(inputs, tmp_path / "streamed", options, engine=RayEngine(actors=1, write_shards_in_tasks=False))
    assert _release_bytes(tmp_path / "streamed") == local
