"""The unit stage (`engines.staging.UnitStage`) on a local folder and on an S3 API (moto's
server): units round trip, `done` is written last and a unit without it is made again, the
local files are the ones the stage always wrote, and `remove_all` deletes the stage's own
folders and nothing beside them. `stage_for`: where a run's units go."""
from __future__ import annotations

import io
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest

from newsclean.batch import BatchResult, UnitResult
from newsclean.corpus.templates import LineCounts
from newsclean.engines import LocalEngine
from newsclean.engines.staging import UnitStage, run_key, stage_for, staged_results
from newsclean.fingerprint import InputFingerprint
from newsclean.options import Options
from newsclean.publish.target import OutputRefused
from test_publish_remote import s3  # noqa: F401  (the fixture: moto's S3 server)

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
    assert stage.staged() == 0 and not stage.has(0)
    for number in (0, 1, 2):
        stage.save(number, _result(number))
    assert stage.done_units() == {0, 1, 2} and stage.staged() == 3 and stage.has(1)
    for number in (0, 1, 2):
        _same(stage.load(number), _result(number))
    # a unit cut short before its `done`: every table and read.json there, yet not staged
    fs.delete_file(f"{stage.unit_folder(1)}/done")
    assert stage.done_units() == {0, 2} and not stage.has(1)
    assert f".dist.units-{KEY}/unit-00000001/read.json" in files()


def test_a_resume_makes_again_only_the_units_without_done(place):
    fs, root, _ = place
    stage = UnitStage(f"{root}/.dist.units-{KEY}", fs)
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


def test_remove_all_deletes_the_stages_of_this_output_and_nothing_else(place):
    fs, root, files = place
    other_key = "fedcba9876543210fedc"
    this, earlier = UnitStage(f"{root}/.dist.units-{KEY}", fs), UnitStage(f"{root}/.dist.units-{other_key}", fs)
    this.save(0, _result(0))
    earlier.save(3, _result(3))
    keep = ["unrelated.txt", "dist/manifest.json", "dist/data/part-0.parquet", ".dist.units-mine/keep.txt",
            f".dist.units-{KEY}x/keep.txt", f".dist.units-{KEY.upper()}/keep.txt", f".other.units-{KEY}/keep.txt",
            f".dist.units-{KEY}.txt", f"sub/.dist.units-{other_key}/unit-00000000/done"]
    for name in keep:
        if fs.type_name == "local":
            fs.create_dir(f"{root}/{name}".rpartition("/")[0], recursive=True)
        with fs.open_output_stream(f"{root}/{name}") as stream:
            stream.write(b"not the stage's")
    this.remove_all()
    assert files() == sorted(keep)
    assert this.staged() == earlier.staged() == 0
    this.remove_all()  # nothing left to remove: no error


def test_stage_for_puts_the_units_beside_the_output_or_where_asked(s3, tmp_path):
    fs, uri = s3
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.jsonl").write_text('{"id": "a", "text": "t"}\n', encoding="utf-8")
    paths, options = [tmp_path / "in"], Options()
    key = run_key(paths, options, 1000)
    local = stage_for(tmp_path / "dist", tmp_path / "dist", paths, options, 1000)
    assert local.local and local.folder == (tmp_path / f".dist.units-{key}").as_posix()
    build = tmp_path / "build" / "release"  # a URI's output is built in a local folder
    remote = stage_for(uri("runs/dist"), build, paths, options, 1000)
    assert not remote.local and remote.fs.type_name == "s3"
    assert remote.folder == f"corpus/runs/.dist.units-{key}" and remote.shown() == f"s3://corpus/runs/.dist.units-{key}"
    # a bucket's root has nothing beside it: the units stay beside the build folder
    root = stage_for("s3://corpus?region=us-east-1", build, paths, options, 1000)
    assert root.local and root.folder == (tmp_path / "build" / f".release.units-{key}").as_posix()
    # --stage: in the folder given, named by the output too (two outputs "dist" stay apart)
    there = stage_for(uri("runs/dist"), build, paths, options, 1000, at=uri("stages"))
    elsewhere = stage_for(uri("other/dist"), build, paths, options, 1000, at=uri("stages"))
    assert there.folder.startswith("corpus/stages/.dist-") and there.folder.endswith(f".units-{key}")
    assert there.folder != elsewhere.folder and there.fs.type_name == "s3"
    assert stage_for(tmp_path / "dist", tmp_path / "dist", paths, options, 1000, at=tmp_path / "st").folder \
        .startswith((tmp_path / "st" / ".dist-").as_posix())
    for out, at in ((uri("runs/dist"), uri("runs/dist/units")), (tmp_path / "dist", tmp_path / "dist"),
                    (tmp_path / "dist", tmp_path / "in" / "units")):
        with pytest.raises(OutputRefused, match="--stage .* is inside"):
            stage_for(out, Path(out) if not str(out).startswith("s3:") else build, paths, options, 1000, at=at)
