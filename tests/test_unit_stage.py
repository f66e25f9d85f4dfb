"""The unit stage (`engines.staging.UnitStage`) on a local folder and on an S3 API (moto's
server): units round trip, `done` is written last and a unit without it is made again, the
local files are the ones the stage always wrote, and `remove_all` deletes the stage's own
folders and nothing beside them. `stage_for`: where a run's units go."""
from __future__ import annotations

import dataclasses
import importlib
import io
import json
import logging
from pathlib import Path

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest

from newsclean import run
from newsclean.batch import BatchResult, UnitResult
from newsclean.corpus.templates import LineCounts
from newsclean.engines import LocalEngine
from newsclean.engines.staging import UnitStage, run_key, stage_for, staged_results
from newsclean.fingerprint import InputFingerprint
from newsclean.options import Options
from newsclean.publish.target import OutputRefused
from newsclean.readers.remote import input_path
from test_determinism import _corpus, _release_bytes
from test_publish_remote import _remote_bytes, s3, upload_cut_after  # noqa: F401  (the fixture: moto's S3 server)

KEY = "0123456789abcdef0123"


def _result(number: int) -> UnitResult:
    """A unit's results: five small tables (one with schema metadata) and what was read."""
    schema = pa.schema([("id", pa.string()), ("n", pa.int64())], metadata={b"kept": b"yes"})
    data = pa.table({"id": [f"u{number}-{i}" for i in range(3)], "n": [number, number + 1, number + 2]},
                    schema=schema)
    small = pa.table({"_row": pa.array([0, 1], pa.int64()), "doc": pa.array([number, -number], pa.int64())})
    return UnitResult(BatchResult(data, small, small.slice(0, 1), LineCounts(small, small.slice(1))),
                      InputFingerprint(0xABC0 + number, 3 + number, 100 * number))


def _same(got: UnitResult, want: UnitResult) -> None:
    for name in ("data", "removals", "rejects"):
        assert getattr(got.batch, name).equals(getattr(want.batch, name), check_metadata=True), name
    assert got.batch.line_counts.docs.equals(want.batch.line_counts.docs)
    assert got.batch.line_counts.lines.equals(want.batch.line_counts.lines)
    assert (got.read.hexdigest(), got.read.documents, got.read.bytes) == \
        (want.read.hexdigest(), want.read.documents, want.read.bytes)


@pytest.fixture(params=["local", "s3"])
def place(request, tmp_path):
    """(filesystem, a folder on it for this test's stages, a function listing every file under it)."""
    if request.param == "local":
        fs, root = pafs.LocalFileSystem(), tmp_path.as_posix()
    else:
        fs, _ = request.getfixturevalue("s3")
        root = f"corpus/stage-test-{request.node.name.split('[')[0]}"
    fs.delete_dir_contents(root, missing_dir_ok=True)

    def files() -> list[str]:
        found = fs.get_file_info(pafs.FileSelector(root, recursive=True, allow_not_found=True))
        return sorted(i.path[len(root) + 1:] for i in found if i.type == pafs.FileType.File)

    return fs, root, files


def test_units_round_trip_and_done_comes_last(place):
    fs, root, files = place
    stage = UnitStage(f"{root}/.dist.units-{KEY}", fs)
    assert stage.done_units() == set()
    for number in (0, 1, 2):
        stage.save(number, _result(number))
    assert stage.done_units() == {0, 1, 2}
    for number in (0, 1, 2):
        _same(stage.load(number), _result(number))
    # a unit cut short before its `done`: every table and read.json there, yet not staged
    fs.delete_file(f"{stage.unit_folder(1)}/done")
    assert stage.done_units() == {0, 2}
    assert f".dist.units-{KEY}/unit-00000001/read.json" in files()


def _planned(folder: Path) -> tuple[list, Options]:
    """The multi-source corpus planned in units of 4 kB, and options of small batches."""
    from collections import Counter

    from newsclean.readers.plan import plan_units

    folder.mkdir(parents=True, exist_ok=True)
    options = dataclasses.replace(Options(), batch_docs=4, workers=1)
    return plan_units(_corpus(folder), Counter(), options.input, 4_000), options


def _receipt(receipt) -> tuple:
    read = receipt.read
    return receipt.number, receipt.rows, read.hexdigest(), read.documents, read.bytes


def test_units_staged_as_runs_come_back_as_receipts_in_plan_order_and_resume_from_done(s3, tmp_path):
    """In an object store each unit is staged by its worker as one sorted run per table (the
    builder's run schema and keys), `done` last with its receipt; the driver gets receipts in
    plan order, and a unit staged by an earlier run is not made again: its receipt is read from
    its `done`."""
    from functools import partial

    from newsclean.batch import process_unit
    from newsclean.engines.unit_runs import UnitReceipt, save_runs, staged_runs
    from newsclean.publish.runs import KEYS, run_schemas
    from newsclean.publish.shards import sort_table

    fs, _ = s3
    units, options = _planned(tmp_path / "in")
    assert len(units) > 4
    results = [process_unit(unit, options) for unit in units]
    stage = UnitStage(f"corpus/unit-runs/.dist.units-{KEY}", fs)
    for number in (1, 3):  # staged by an earlier run
        save_runs(stage, number, results[number], options.corpus)
    made = []

    def clean(unit):
        made.append(units.index(unit))
        return process_unit(unit, options)

    staged = list(staged_runs(LocalEngine(), clean, units, 1, stage, options.corpus))
    assert made == [n for n in range(len(units)) if n not in (1, 3)]
    assert [unit.receipt.number for unit in staged] == list(range(len(units)))
    assert stage.done_units() == set(range(len(units)))
    schemas = run_schemas(options.corpus)
    for number, (unit, result) in enumerate(zip(staged, results)):
        batch = result.batch
        assert unit.receipt.read.hexdigest() == result.read.hexdigest()
        assert unit.receipt.rows == (batch.data.num_rows, batch.removals.num_rows, batch.rejects.num_rows)
        assert unit.line_counts.docs.equals(batch.line_counts.docs)
        assert unit.line_counts.lines.equals(batch.line_counts.lines)
        for kind, table in (("data", batch.data), ("removals", batch.removals), ("rejects", batch.rejects)):
            path = f"{stage.unit_folder(number)}/{kind}.parquet"
            assert unit.runs.get(kind) == (path if table.num_rows else None)
            run = pq.read_table(path, filesystem=fs)
            want = sort_table(table.select(schemas[kind].names).cast(schemas[kind]), KEYS[kind])
            assert run.schema.equals(schemas[kind]) and run.equals(want), (number, kind)
        with fs.open_input_stream(f"{stage.unit_folder(number)}/done") as stream:
            assert _receipt(UnitReceipt.from_json(number, stream.readall())) == _receipt(unit.receipt)
    # without the count rows (the engine's tasks count them): none read, the same receipts
    again = list(staged_runs(LocalEngine(), clean, units, 1, stage, options.corpus, counts=False))
    assert [_receipt(unit.receipt) for unit in again] == [_receipt(unit.receipt) for unit in staged]
    assert all(unit.line_counts.docs.num_rows == 0 for unit in again)
    assert len(made) == len(units) - 2  # nothing made again


def test_staged_runs_merged_in_groups_are_the_runs_the_driver_spilled(s3, tmp_path):
    """`merge_staged` reads the staged units' runs from the store (kept there for a resume) and
    writes local runs whose rows, in order, are those of one sorted run of all the units' rows
    (a stable sort: equal keys in plan order); a staged run cut short fails the merge."""
    from newsclean.engines.unit_runs import save_runs
    from newsclean.batch import process_unit
    from newsclean.publish.runs import KEYS, RUN_OPTIONS, run_schemas
    from newsclean.publish.shards import merge_runs, merge_staged, sort_table

    fs, _ = s3
    units, options = _planned(tmp_path / "in")
    results = [process_unit(unit, options) for unit in units]
    stage = UnitStage(f"corpus/merge-runs/.dist.units-{KEY}", fs)
    for number, result in enumerate(results):
        save_runs(stage, number, result, options.corpus)
    schemas = run_schemas(options.corpus)
    for kind in KEYS:
        staged = [f"{stage.unit_folder(n)}/{kind}.parquet" for n in range(len(units))]
        folder = tmp_path / kind
        folder.mkdir()
        local = merge_staged(staged, fs, folder, kind, KEYS[kind], schemas[kind], RUN_OPTIONS, fan_in=3)
        assert [p.name for p in local] == [f"{kind}-{k:05d}.parquet" for k in range(-(-len(units) // 3))]
        got = pa.concat_tables(merge_runs(local, KEYS[kind], schemas[kind]))
        every = pa.concat_tables([getattr(r.batch, kind).select(schemas[kind].names).cast(schemas[kind])
                                  for r in results])
        assert got.equals(sort_table(every, KEYS[kind])), kind
        assert all(fs.get_file_info(path).type == pafs.FileType.File for path in staged)  # kept
    with fs.open_output_stream(f"{stage.unit_folder(2)}/data.parquet") as stream:
        stream.write(b"PAR1 cut short")
    with pytest.raises(Exception, match="(?i)parquet|magic|size"):
        merge_staged([f"{stage.unit_folder(n)}/data.parquet" for n in range(4)], fs, tmp_path, "broken",
                     KEYS["data"], schemas["data"], RUN_OPTIONS)


def test_a_unit_read_without_its_count_rows_does_not_open_them(place):
    """A run whose tasks count the templates from the stage does not read the count rows back."""
    fs, root, _ = place
    stage = UnitStage(f"{root}/.dist.units-{KEY}", fs)
    stage.save(4, _result(4))
    for name in ("line_docs", "line_lines"):
        fs.delete_file(f"{stage.unit_folder(4)}/{name}.parquet")
    got = stage.load(4, counts=False)
    assert got.batch.line_counts.docs.num_rows == got.batch.line_counts.lines.num_rows == 0
    for name in ("data", "removals", "rejects"):
        assert getattr(got.batch, name).equals(getattr(_result(4).batch, name), check_metadata=True), name
    with pytest.raises(OSError):  # FileNotFoundError on disk; the S3 API's 404 is an OSError too
        stage.load(4)


def test_units_from_ten_to_the_eighth_on_have_nine_digits_and_resume(tmp_path):
    stage = UnitStage(tmp_path / f".dist.units-{KEY}")
    for number in (7, 10**8):
        stage.save(number, _result(number))
    assert (tmp_path / f".dist.units-{KEY}" / "unit-100000000" / "done").is_file()
    assert stage.done_units() == {7, 10**8}
    _same(stage.load(10**8), _result(10**8))


def test_a_resume_makes_again_only_the_units_without_done(tmp_path):
    """On the driver's disk (in a store: `test_units_staged_as_runs_..._resume_from_done`)."""
    fs = pafs.LocalFileSystem()
    stage = UnitStage(tmp_path / f".dist.units-{KEY}")
    for number in (0, 1, 3):
        stage.save(number, _result(number))
    fs.delete_file(f"{stage.unit_folder(1)}/done")  # killed while unit 1 was being written
    made = []

    def clean(unit: int) -> UnitResult:
        made.append(unit)
        return _result(unit)

    results = list(staged_results(LocalEngine(), clean, [0, 1, 2, 3, 4], 1, stage))
    assert made == [1, 2, 4]
    for number, result in enumerate(results):
        _same(result, _result(number))
    assert stage.done_units() == {0, 1, 2, 3, 4}


def test_a_local_stage_writes_the_files_it_always_wrote(tmp_path):
    """The layout and bytes of the stage before it took a filesystem: Parquet written to a
    local path, zstd level 1 with the schema stored, read.json as text, `done` empty."""
    stage = UnitStage(tmp_path / f".dist.units-{KEY}")
    result = _result(7)
    stage.save(7, result)
    unit = tmp_path / f".dist.units-{KEY}" / "unit-00000007"
    assert sorted(p.name for p in unit.iterdir()) == sorted(
        ["data.parquet", "removals.parquet", "rejects.parquet", "line_docs.parquet", "line_lines.parquet",
         "read.json", "done"])
    tables = {"data": result.batch.data, "removals": result.batch.removals, "rejects": result.batch.rejects,
              "line_docs": result.batch.line_counts.docs, "line_lines": result.batch.line_counts.lines}
    for name, table in tables.items():
        before = io.BytesIO()
        pq.write_table(table, before, compression="zstd", compression_level=1, store_schema=True)
        assert (unit / f"{name}.parquet").read_bytes() == before.getvalue(), name
    assert (unit / "read.json").read_text(encoding="utf-8") == json.dumps(
        {"documents": 10, "bytes": 700, "fingerprint": result.read.hexdigest()})
    assert (unit / "done").read_bytes() == b""


def _plant(fs: pafs.FileSystem, root: str, names: list[str]) -> None:
    for name in names:
        if fs.type_name == "local":
            fs.create_dir(f"{root}/{name}".rpartition("/")[0], recursive=True)
        with fs.open_output_stream(f"{root}/{name}") as stream:
            stream.write(b"not the stage's")


def test_remove_all_deletes_the_stages_of_this_output_and_nothing_else(place):
    """Beside-the-output stages (`.dist.units-`) and --stage ones (`.dist-H.units-`) in one
    folder: each output's removal takes its own, and no name an unescaped pattern would match."""
    fs, root, files = place
    other_key = "fedcba9876543210fedc"
    this, earlier = UnitStage(f"{root}/.dist.units-{KEY}", fs), UnitStage(f"{root}/.dist.units-{other_key}", fs)
    tagged = UnitStage(f"{root}/.dist-0badc0de.units-{KEY}", fs)  # another output "dist", via --stage
    tagged_earlier = UnitStage(f"{root}/.dist-0badc0de.units-{other_key}", fs)
    for number, stage in enumerate((this, earlier, tagged, tagged_earlier)):
        stage.save(number, _result(number))
    keep = ["unrelated.txt", "dist/manifest.json", "dist/data/part-0.parquet", ".dist.units-mine/keep.txt",
            f".dist.units-{KEY}x/keep.txt", f".dist.units-{KEY.upper()}/keep.txt", f".other.units-{KEY}/keep.txt",
            f".dist.units-{KEY}.txt", f"sub/.dist.units-{other_key}/unit-00000000/done",
            f"_dist_units-{KEY}/keep.txt", f".distXunits-{KEY}/keep.txt", f".dist-0badc0deXunits-{KEY}/keep.txt",
            f".dist-0badc0de.units-{KEY}x/keep.txt"]
    tagged_files = [f for f in files() if f.startswith(".dist-0badc0de.units-")]
    assert len(tagged_files) == 2 * 7  # five tables, read.json and done, in each
    _plant(fs, root, keep)
    this.remove_all()
    assert files() == sorted(keep + tagged_files)
    assert this.done_units() == earlier.done_units() == set()
    assert tagged.done_units() == {2} and tagged_earlier.done_units() == {3}
    this.remove_all()  # nothing left to remove: no error
    tagged.remove_all()
    assert files() == sorted(keep)


def test_remove_all_refuses_a_folder_not_named_as_a_stage(tmp_path):
    """Its pattern comes from the stage's own name: `run-KEY` would take every `run-KEY` beside it."""
    for name in (f"run-{KEY}", f"dist.units-{KEY}", f".dist.units-{KEY}x", f".units-{KEY}", "units"):
        (tmp_path / f"{name}-sibling").mkdir()
        stage = UnitStage(tmp_path / name)
        stage.save(0, _result(0))
        with pytest.raises(ValueError, match="not named as a unit stage"):
            stage.remove_all()
        assert stage.done_units() == {0} and (tmp_path / f"{name}-sibling").is_dir()
    (tmp_path / "run-0123456789abcdef0124").mkdir()
    with pytest.raises(ValueError):
        UnitStage(tmp_path / f"run-{KEY}").remove_all()
    assert (tmp_path / "run-0123456789abcdef0124").is_dir()


def test_stage_for_puts_the_units_beside_the_output_or_where_asked(s3, tmp_path):
    fs, uri = s3
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.jsonl").write_text('{"id": "a", "text": "t"}\n', encoding="utf-8")
    paths, options = [tmp_path / "in"], Options()
    key = run_key(paths, options, 1000)
    local = stage_for(tmp_path / "dist", tmp_path / "dist", paths, options, 1000)
    assert local.local and local.folder == (tmp_path.resolve() / f".dist.units-{key}").as_posix()
    build = tmp_path / "build" / "release"  # a URI's output is built in a local folder
    remote = stage_for(uri("runs/dist"), build, paths, options, 1000)
    assert not remote.local and remote.fs.type_name == "s3"
    assert remote.folder == f"corpus/runs/.dist.units-{key}" and remote.shown() == f"s3://corpus/runs/.dist.units-{key}"
    # a bucket's root has nothing beside it: the units stay beside the build folder
    root = stage_for("s3://corpus?region=us-east-1", build, paths, options, 1000)
    assert root.local and root.folder == (tmp_path.resolve() / "build" / f".release.units-{key}").as_posix()
    # --stage: in the folder given, named by the output too (two outputs "dist" stay apart)
    there = stage_for(uri("runs/dist"), build, paths, options, 1000, at=uri("stages"))
    elsewhere = stage_for(uri("other/dist"), build, paths, options, 1000, at=uri("stages"))
    assert there.folder.startswith("corpus/stages/.dist-") and there.folder.endswith(f".units-{key}")
    assert there.folder != elsewhere.folder and there.fs.type_name == "s3"
    assert stage_for(tmp_path / "dist", tmp_path / "dist", paths, options, 1000, at=tmp_path / "st").folder \
        .startswith((tmp_path.resolve() / "st" / ".dist-").as_posix())
    for out, at in ((uri("runs/dist"), uri("runs/dist/units")), (tmp_path / "dist", tmp_path / "dist"),
                    (tmp_path / "dist", tmp_path / "in" / "units")):
        with pytest.raises(OutputRefused, match="--stage .* is inside"):
            stage_for(out, Path(out) if not str(out).startswith("s3:") else build, paths, options, 1000, at=at)


def test_a_stage_inside_the_output_or_an_input_is_refused_through_dots_and_symlinks(s3, tmp_path):
    """The refusal compares resolved paths: `..` and symlinks lead to the same folder."""
    fs, uri = s3
    (tmp_path / "d" / "x").mkdir(parents=True)
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.jsonl").write_text('{"id": "a", "text": "t"}\n', encoding="utf-8")
    out = tmp_path / "d" / "corpus"
    out.mkdir()
    (tmp_path / "to-out").symlink_to(out)
    (tmp_path / "to-in").symlink_to(tmp_path / "in")
    paths, options = [tmp_path / "in"], Options()
    for at in (tmp_path / "d" / "x" / ".." / "corpus", tmp_path / "d" / "x" / ".." / "corpus" / "units",
               tmp_path / "to-out", tmp_path / "to-out" / "units"):
        with pytest.raises(OutputRefused, match="--stage .* is inside --out"):
            stage_for(out, out, paths, options, 1000, at=at)
    with pytest.raises(OutputRefused, match="--stage .* is inside --out"):  # the output named by its link
        stage_for(tmp_path / "to-out", tmp_path / "to-out", paths, options, 1000, at=out / "units")
    for at in (tmp_path / "d" / ".." / "in" / "units", tmp_path / "to-in", tmp_path / "to-in" / "units"):
        with pytest.raises(OutputRefused, match="--stage .* is inside the input"):
            stage_for(out, out, paths, options, 1000, at=at)
    with pytest.raises(OutputRefused, match="--stage .* is inside the input"):  # the input named by its link
        stage_for(out, out, [tmp_path / "to-in"], options, 1000, at=tmp_path / "in" / "units")
    # beside them is fine, and the stage's folder is kept resolved
    stage = stage_for(out, out, paths, options, 1000, at=tmp_path / "d" / "x" / ".." / "stages")
    assert stage.folder.startswith((tmp_path.resolve() / "d" / "stages" / ".corpus-").as_posix())
    assert UnitStage(tmp_path / "to-out" / ".." / f".dist.units-{KEY}").folder == \
        (tmp_path.resolve() / "d" / f".dist.units-{KEY}").as_posix()
    # an object-store input: a stage under its prefix is refused too
    with fs.open_output_stream("corpus/stage-input/a.jsonl") as stream:
        stream.write(b'{"id": "a", "text": "t"}\n')
    with pytest.raises(OutputRefused, match="--stage .* is inside the input"):
        stage_for(tmp_path / "dist", tmp_path / "dist", [input_path(uri("stage-input"))], options, 1000,
                  at=uri("stage-input/units"))


@dataclasses.dataclass(frozen=True)
class UnitsHere(LocalEngine):
    """The local engine planning units and staging them, as the Ray engine does (no Ray needed)."""

    stages_units: bool = True
    unit_bytes: int = 4_000


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> tuple[list[Path], Options, dict[str, bytes]]:
    """The multi-source corpus, small batches, and its release by the local engine."""
    root = tmp_path_factory.mktemp("unit-runs")
    (root / "in").mkdir()
    inputs = _corpus(root / "in")
    options = dataclasses.replace(Options(), batch_docs=4, workers=1)
    run(inputs, root / "local", options)
    return inputs, options, _release_bytes(root / "local")


def _stage_objects(fs: pafs.FileSystem, prefix: str) -> list[str]:
    found = fs.get_file_info(pafs.FileSelector(f"corpus/{prefix}", recursive=True, allow_not_found=True))
    return sorted(i.path for i in found if i.type == pafs.FileType.File and ".units-" in i.path)


def test_a_failed_upload_leaves_the_units_and_the_rerun_resumes_from_them(s3, small, monkeypatch, caplog):
    """The units are removed once the release is in the store, not once it is built locally."""
    fs, uri = s3
    inputs, options, local = small

    def cut_short(folder: Path, target: str) -> None:
        raise OSError("upload cut short")

    with monkeypatch.context() as patched:
        patched.setattr(importlib.import_module("newsclean.run"), "upload_release", cut_short)
        with pytest.raises(OSError, match="upload cut short"):
            run(inputs, uri("upload-cut/dist"), options, engine=UnitsHere())
    done = [name for name in _stage_objects(fs, "upload-cut") if name.endswith("/done")]
    assert len(done) > 1 and all(name.startswith("corpus/upload-cut/.dist.units-") for name in done)
    caplog.set_level(logging.INFO, logger="newsclean")
    run(inputs, uri("upload-cut/dist"), options, engine=UnitsHere())
    assert f"resuming: {len(done)} units already staged" in caplog.text
    assert _remote_bytes(fs, "upload-cut/dist") == local
    assert _stage_objects(fs, "upload-cut") == []  # uploaded: now removed


def test_an_upload_cut_short_midway_reruns_without_force_and_resumes_from_the_units(s3, small, monkeypatch, caplog):
    """The driver killed while uploading leaves some of the release's files and no manifest: the
    same command again (no --force) replaces them, resuming from the staged units."""
    fs, uri = s3
    inputs, options, local = small
    with upload_cut_after(monkeypatch, 3), pytest.raises(OSError, match="upload cut short"):
        run(inputs, uri("upload-midway/dist"), options, engine=UnitsHere())
    assert len(_remote_bytes(fs, "upload-midway/dist")) == 3  # and no manifest
    done = [name for name in _stage_objects(fs, "upload-midway") if name.endswith("/done")]
    assert len(done) > 1
    caplog.set_level(logging.INFO, logger="newsclean")
    run(inputs, uri("upload-midway/dist"), options, engine=UnitsHere())
    assert f"resuming: {len(done)} units already staged" in caplog.text
    assert _remote_bytes(fs, "upload-midway/dist") == local
    assert _stage_objects(fs, "upload-midway") == []


def test_units_staged_in_a_store_by_the_workers_fail_the_run_saying_so_when_it_refuses(s3, small, tmp_path):
    """The workers, not the driver, write to an object-store stage: a store they cannot write to
    (here a bucket that does not exist) fails the run with what to do, and leaves no release."""
    fs, uri = s3
    inputs, options, _ = small
    missing = uri("x").replace("@corpus/x?", "@no-such-bucket/stages?")
    with pytest.raises(OSError, match=r"unit 0 could not be staged in s3://no-such-bucket/stages/\.dist-.* "
                                      r"every node writes its units there"):
        run(inputs, tmp_path / "dist", options, engine=UnitsHere(stage=missing))
    assert not (tmp_path / "dist").exists()


def test_a_stage_that_cannot_be_removed_still_publishes_with_a_warning(small, tmp_path, monkeypatch, caplog):
    inputs, options, local = small

    def denied(stage: UnitStage) -> None:
        raise PermissionError("AccessDenied")

    monkeypatch.setattr(UnitStage, "remove_all", denied)
    caplog.set_level(logging.INFO, logger="newsclean")
    summary = run(inputs, tmp_path / "dist", options, engine=UnitsHere())
    assert summary.published > 0 and _release_bytes(tmp_path / "dist") == local
    warned = [r for r in caplog.records if r.levelno == logging.WARNING and "could not be removed" in r.getMessage()]
    stages = list(tmp_path.glob(".dist.units-*"))
    assert len(warned) == 1 and len(stages) == 1 and stages[0].as_posix() in warned[0].getMessage()
    assert "AccessDenied" in warned[0].getMessage()


def test_an_interrupted_removal_is_reported_as_published(small, tmp_path, monkeypatch):
    inputs, options, local = small

    def interrupted(stage: UnitStage) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(UnitStage, "remove_all", interrupted)
    with pytest.raises(KeyboardInterrupt) as caught:
        run(inputs, tmp_path / "dist", options, engine=UnitsHere())
    assert getattr(caught.value, "published", False) and _release_bytes(tmp_path / "dist") == local


def test_count_rows_read_ahead_come_back_in_receipt_order_a_few_units_ahead():
    """The driver's reads of the units' count rows (`count_templates_in_tasks=False`) are made a
    few units ahead at once: whatever order they finish in, each comes back with its own unit,
    in plan order, and no more than READ_AHEAD + 1 are started before the first is taken."""
    import threading
    import time

    from newsclean.engines.unit_runs import READ_AHEAD, UnitReceipt, _read_ahead

    started, lock = [], threading.Lock()

    def read(receipt):
        with lock:
            started.append(receipt.number)
        time.sleep(0.02 * (READ_AHEAD + 1 - receipt.number % (READ_AHEAD + 1)))  # later units finish first
        return receipt.number * 10

    receipts = (UnitReceipt(n, InputFingerprint(n, 1, 1), (1, 0, 0)) for n in range(10))
    taken = []
    for receipt, counts in _read_ahead(receipts, read, READ_AHEAD):
        if not taken:
            assert len(started) <= READ_AHEAD + 1
        taken.append((receipt.number, counts))
    assert taken == [(n, n * 10) for n in range(10)]
