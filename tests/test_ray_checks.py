"""The publish check of the data shards in parts (`publish.data_checks`, and as Ray tasks,
`engines.ray_checks`): the report `validate_files` gives in the driver, word for word, on a valid
release and on releases broken in the ways the check exists for (a text or an id repeated across
shards, ids out of order, a shard without a column, an unreadable shard, a changed row that no
longer passes), whatever the buckets of keys; and a Ray run whose driver cannot run the check
itself publishes the local engine's bytes."""
from __future__ import annotations

import dataclasses
import shutil
from functools import partial
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from newsclean import run
from newsclean.corpus.templates import FAMILY
from newsclean.engines import LocalEngine, RayEngine
from newsclean.options import Options, PublishOptions
from newsclean.publish import data_checks
from newsclean.publish.data_checks import checked_here
from newsclean.publish.validate import validate_files
from test_determinism import _release_bytes
from test_ray_fold import _copies


def _options() -> Options:
    return dataclasses.replace(Options(), batch_docs=7, publish=PublishOptions(shard_rows=5, row_group_rows=2))


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> list[Path]:
    return _copies(tmp_path_factory.mktemp("checks-in"))


@pytest.fixture(scope="module")
def release(inputs, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("checks") / "release"
    run(inputs, out, _options())
    return out


def _rewritten(directory: Path) -> pa.Array:
    """The ids the driver rechecks (`ReleaseBuilder._rewritten_ids`): rows with template removals."""
    table = pa.concat_tables(pq.read_table(path, columns=["id", "family"])
                             for path in sorted((directory / "removals").glob("*.parquet")))
    return pc.unique(table["id"].filter(pc.equal(table["family"], FAMILY)))


def _shards(directory: Path) -> list[Path]:
    return sorted((directory / "data").glob("*.parquet"))


def _rewrite(path: Path, change) -> None:
    table = pq.read_table(path)
    pq.write_table(change(table), path)


def _set(table: pa.Table, column: str, row: int, value) -> pa.Table:
    values = table[column].to_pylist()
    values[row] = value
    return table.set_column(table.schema.get_field_index(column), table.schema.field(column),
                            pa.array(values, table.schema.field(column).type))


def _break(directory: Path, how: str) -> None:
    shards = _shards(directory)
    first = pq.read_table(shards[0])
    rechecked = set(_rewritten(directory).to_pylist())
    if how == "text repeated":
        _rewrite(shards[2], lambda t: _set(t, "content_hash", 1, first["content_hash"][0].as_py()))
    elif how == "id repeated":
        _rewrite(shards[3], lambda t: _set(t, "id", 0, first["id"][2].as_py()))
    elif how == "ids out of order":
        shards[1].rename(directory / "swap")
        shards[4].rename(shards[1])
        (directory / "swap").rename(shards[4])
    elif how == "column missing":
        _rewrite(shards[2], lambda t: t.drop_columns(["url"]))
    elif how == "unreadable":
        shards[3].write_bytes(shards[3].read_bytes()[:200])
    elif how == "changed row fails":
        for shard in shards:
            ids = pq.read_table(shard, columns=["id"])["id"].to_pylist()
            hit = [row for row, doc_id in enumerate(ids) if doc_id in rechecked]
            if hit:
                _rewrite(shard, lambda t: _set(t, "word_count", hit[0], -5))
                return
        raise AssertionError("no rechecked row to break")


WAYS = ["valid", "text repeated", "id repeated", "ids out of order", "column missing", "unreadable",
        "changed row fails"]


def _copy(release: Path, tmp_path: Path, how: str) -> Path:
    directory = tmp_path / how.replace(" ", "-")
    shutil.copytree(release, directory)
    if how != "valid":
        _break(directory, how)
    return directory


@pytest.mark.parametrize("how", WAYS)
@pytest.mark.parametrize("bucket_bytes", [64 << 20, 8])
def test_the_checks_in_parts_report_what_the_driver_reports(release, tmp_path, monkeypatch, how, bucket_bytes):
    monkeypatch.setattr(data_checks, "BUCKET_BYTES", bucket_bytes)  # 8 bytes: 2**MAX_BITS buckets
    directory = _copy(release, tmp_path, how)
    assert len(_shards(directory)) >= 6 and len(_rewritten(directory)) >= 3
    expected = validate_files(directory, recheck=_rewritten(directory))
    got = validate_files(directory, data_checks=partial(checked_here, str(directory), FAMILY))
    assert got.to_json() == expected.to_json()
    assert expected.ok == (how == "valid"), expected.to_text()


def test_only_the_ray_engine_checks_in_tasks():
    assert LocalEngine().check_tasks() is None
    assert RayEngine(check_release_in_tasks=False).check_tasks() is None
    assert RayEngine().check_tasks().__name__ == "checked_by_tasks"


ray = pytest.importorskip("ray")


@pytest.mark.parametrize("how", ["valid", "text repeated", "ids out of order", "unreadable", "changed row fails"])
def test_ray_tasks_report_what_the_driver_reports(local_ray, release, tmp_path, monkeypatch, how):
    from newsclean.engines.ray_checks import checked_by_tasks

    monkeypatch.setattr(data_checks, "BUCKET_BYTES", 64)  # several buckets of keys
    directory = _copy(release, tmp_path, how)
    expected = validate_files(directory, recheck=_rewritten(directory))
    got = validate_files(directory, data_checks=partial(checked_by_tasks, str(directory), FAMILY))
    assert got.to_json() == expected.to_json()


def _drivers_check_fails(patch) -> None:
    """The driver's own pass over the data shards raises (its tasks import their own copies)."""
    import newsclean.publish.release as release_module
    import newsclean.publish.unique as unique
    import newsclean.publish.validate as validate

    def fails(*_args, **_kwargs):
        raise AssertionError("the driver checked the data shards")

    for module, name in ((validate, "AcrossShards"), (validate, "recheck_rows"), (unique, "RepeatedKeys"),
                         (unique, "value_keys"), (release_module.ReleaseBuilder, "_rewritten_ids")):
        patch.setattr(module, name, fails)


def test_ray_checks_the_release_in_tasks_and_publishes_the_local_bytes(local_ray, inputs, tmp_path, monkeypatch):
    monkeypatch.chdir(inputs[0].parent)
    run(inputs, tmp_path / "local", _options())
    with monkeypatch.context() as patch:
        _drivers_check_fails(patch)
        run(inputs[::-1], tmp_path / "ray", _options(), engine=RayEngine(actors=1))
        with pytest.raises(AssertionError, match="the driver checked"):
            run(inputs[::-1], tmp_path / "driver", _options(), engine=RayEngine(actors=1, check_release_in_tasks=False))
    assert _release_bytes(tmp_path / "ray") == _release_bytes(tmp_path / "local")
