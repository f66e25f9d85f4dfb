"""`--engine ray` with its unit stage on an object store (moto's S3 server): the same bytes as
`--engine local`, a killed run resumed from the units staged in the store, the stage's objects
removed once published and nothing else in the bucket touched; the actors writing their own
units there (the driver getting receipts, and writing the units only when they are on its
disk); the template-line tasks reading units staged there, and placed on the driver's node only
when the units are on its disk."""
from __future__ import annotations

import dataclasses
import json
import logging
import os
import pickle
import re
import signal
import subprocess
import sys
import time

import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest

from conftest import REPO, synthetic_corpus
from newsclean import run
from newsclean.engines import RayEngine
from newsclean.engines.staging import StageWriteError, UnitStage
from newsclean.engines.unit_runs import UnitReceipt
from newsclean.engines.ray_templates import UnitLineCounter, read_placement
from newsclean.options import Options, TemplateOptions
from test_determinism import _release_bytes
from test_engine_ray import corpus  # noqa: F401  (the fixture: the multi-source corpus and its local release)
from test_publish_remote import _remote_bytes, s3  # noqa: F401  (the fixture: moto's S3 server)

ray = pytest.importorskip("ray")

UNRELATED = ("unrelated.txt", ".dist.units-mine/keep.txt", "dist-old/manifest.json")


def _objects(fs: pafs.FileSystem, prefix: str) -> list[str]:
    found = fs.get_file_info(pafs.FileSelector(f"corpus/{prefix}", recursive=True, allow_not_found=True))
    return sorted(i.path[len(f"corpus/{prefix}/"):] for i in found if i.type == pafs.FileType.File)


def _plant(fs: pafs.FileSystem, prefix: str) -> None:
    """Objects beside the output that are none of the run's: they must outlive it."""
    for name in UNRELATED:
        with fs.open_output_stream(f"corpus/{prefix}/{name}") as stream:
            stream.write(b"someone else's")


def test_ray_with_output_and_stage_on_s3_publishes_the_local_bytes(local_ray, corpus, s3, caplog):
    fs, uri = s3
    inputs, local = corpus
    _plant(fs, "staged")
    caplog.set_level(logging.INFO, logger="newsclean")
    run(inputs[::-1], uri("staged/dist"), dataclasses.replace(Options(), batch_docs=4),
        engine=RayEngine(unit_bytes=4_000))
    assert "staging units in s3://corpus/staged/.dist.units-" in caplog.text  # beside the output
    assert _remote_bytes(fs, "staged/dist") == local
    # published: the stage's objects are gone, the others untouched
    assert [n for n in _objects(fs, "staged") if not n.startswith("dist/")] == sorted(UNRELATED)
    assert fs.get_file_info("corpus/staged/unrelated.txt").size == len(b"someone else's")


@pytest.mark.parametrize("in_tasks", [True, False])
def test_ray_with_an_explicit_stage_on_s3_publishes_the_local_bytes(local_ray, corpus, s3, tmp_path, caplog,
                                                                     in_tasks):
    """`--stage URI` with a local output: the units go to the store, the release to the folder.
    `in_tasks` False: the driver counts the template lines, reading the count rows a few units ahead."""
    fs, uri = s3
    inputs, local = corpus
    _plant(fs, "stages")
    caplog.set_level(logging.INFO, logger="newsclean")
    run(inputs, tmp_path / "dist",
        engine=RayEngine(unit_bytes=4_000, stage=uri("stages"), count_templates_in_tasks=in_tasks))
    assert "staging units in s3://corpus/stages/.dist-" in caplog.text
    assert _release_bytes(tmp_path / "dist") == local
    assert _objects(fs, "stages") == sorted(UNRELATED)
    assert not list(tmp_path.glob(".dist*.units-*"))  # nothing staged beside it


RECEIVED: list[tuple[str, int]] = []  # what the driver took from the actors: (type, pickled bytes)


@dataclasses.dataclass(frozen=True)
class Received(RayEngine):
    """The Ray engine, noting each result the driver receives from its actors."""

    def map_ordered(self, fn, items, workers):
        for result in super().map_ordered(fn, items, workers):
            RECEIVED.append((type(result).__name__, len(pickle.dumps(result))))
            yield result


UNIT_TABLE = re.compile(r"/unit-\d+/(data|removals|rejects)\.parquet$")


def test_actors_write_their_units_to_s3_and_the_driver_gets_receipts(local_ray, corpus, s3, tmp_path,
                                                                   monkeypatch, caplog):
    """With the stage on the driver's disk the driver receives every unit's tables and writes
    them; with it in the store, the actors write them as sorted runs and the driver receives a
    receipt of a few hundred bytes per unit, writes none (its `save` raises) and reads none of
    their rows back (its `load`, `load_batch`, staged-run fetch and any Parquet read of a unit's
    data, removals or rejects raise): the tasks of the first merge round read them. The local
    release either way."""
    import newsclean.publish.shards as shards

    fs, uri = s3
    inputs, local = corpus
    options = dataclasses.replace(Options(), batch_docs=4)
    RECEIVED.clear()
    run(inputs, tmp_path / "driver-writes", options, engine=Received(unit_bytes=4_000))
    on_disk = list(RECEIVED)
    assert _release_bytes(tmp_path / "driver-writes") == local
    assert {kind for kind, _ in on_disk} == {"UnitResult"} and min(size for _, size in on_disk) > 4_000

    def driver_writes(stage: UnitStage, number: int, result) -> None:
        raise AssertionError(f"the driver wrote unit {number} to {stage.shown()}")

    def driver_reads(*args, **kwargs):
        raise AssertionError(f"the driver read a staged unit's rows: {args[:3]}")

    read_table, parquet_file = pq.read_table, pq.ParquetFile

    def reading(opener):
        def opened(source, *args, **kwargs):
            if isinstance(source, str) and UNIT_TABLE.search(source):
                driver_reads(source)
            return opener(source, *args, **kwargs)
        return opened

    # in this process only: the actors and tasks import their own
    monkeypatch.setattr(UnitStage, "save", driver_writes)
    for name in ("load", "load_batch"):
        monkeypatch.setattr(UnitStage, name, driver_reads)
    monkeypatch.setattr(shards, "_fetched", driver_reads)
    monkeypatch.setattr(pq, "read_table", reading(read_table))
    monkeypatch.setattr(pq, "ParquetFile", reading(parquet_file))
    caplog.set_level(logging.INFO, logger="newsclean")
    RECEIVED.clear()
    run(inputs, tmp_path / "actors-write", options, engine=Received(unit_bytes=4_000, stage=uri("by-actors")))
    assert "staging units in s3://corpus/by-actors/.actors-write-" in caplog.text
    assert "(written by the workers)" in caplog.text
    assert "groups merged from the unit stage" in caplog.text
    assert _release_bytes(tmp_path / "actors-write") == local
    assert len(RECEIVED) == len(on_disk) > 5
    assert {kind for kind, _ in RECEIVED} == {UnitReceipt.__name__} and max(size for _, size in RECEIVED) < 600
    assert _objects(fs, "by-actors") == []  # published: the units removed


def _wait_for_the_actors_to_die(seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while any(actor.get("ActorClassName") == "StepsActor" and actor.get("State") != "DEAD"
              for actor in ray._private.state.actors().values()):
        assert time.monotonic() < deadline, "the killed driver's actors are still alive"
        time.sleep(0.1)


def test_a_killed_ray_run_resumes_from_units_staged_in_s3(local_ray, s3, tmp_path_factory, tmp_path):
    """The driver killed (SIGKILL) once its actors have put a few units in the store: no release
    appears, the units stay; the next run (as another machine would, with nothing of the first
    on its disk) makes again a unit cut short before its `done`, takes the others back from the
    store and publishes the bytes of a local run, then removes them."""
    fs, uri = s3
    corpus = synthetic_corpus(tmp_path_factory, "resume-s3", 400)
    config = tmp_path / "small-batches.toml"
    config.write_text("batch_docs = 8\n", encoding="utf-8")
    run([corpus], tmp_path / "local", dataclasses.replace(Options(), batch_docs=8))
    _plant(fs, "killed")
    address = ray.get_runtime_context().gcs_address
    command = [sys.executable, "-m", "newsclean", "-v", "run", str(corpus), "--out", uri("killed/dist"),
               "--config", str(config), "--engine", "ray", "--address", address, "--unit-mb", "0.02"]

    def staged() -> list[str]:
        return [n for n in _objects(fs, "killed") if n.startswith(".dist.units-") and n.endswith("/done")]

    env = {**os.environ, "TMPDIR": str(tmp_path / "first-machine")}  # its local build folder
    (tmp_path / "first-machine").mkdir()
    driver = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and driver.poll() is None:
        if len(staged()) >= 3:
            break
        time.sleep(0.05)
    assert driver.poll() is None, "the run ended before it could be killed:\n" + driver.stderr.read().decode()
    os.kill(driver.pid, signal.SIGKILL)
    driver.wait()
    assert "(written by the workers)" in driver.stderr.read().decode()  # the actors' units, cut short
    driver.stderr.close()
    _wait_for_the_actors_to_die()  # Ray ends a dead driver's actors: until then they may stage more
    done = len(staged())
    assert done >= 3 and "manifest.json" not in _objects(fs, "killed/dist")
    with fs.open_input_stream(f"corpus/killed/{staged()[0]}") as stream:  # the receipt a resume takes
        assert set(json.loads(stream.readall())["rows"]) == {"data", "removals", "rejects"}
    # an actor killed while writing its unit's tables, before its `done`: the unit is made again,
    # never read (its data table here is cut short)
    cut_short = staged()[1]
    fs.delete_file(f"corpus/killed/{cut_short}")
    with fs.open_output_stream(f"corpus/killed/{cut_short[:-len('done')]}data.parquet") as stream:
        stream.write(b"PAR1 cut short")
    done -= 1
    assert not list((tmp_path / "first-machine").rglob("unit-*"))  # nothing staged on local disk
    env["TMPDIR"] = str(tmp_path / "second-machine")
    (tmp_path / "second-machine").mkdir()
    resumed = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming: {done} units already staged" in resumed.stderr
    assert _remote_bytes(fs, "killed/dist") == _release_bytes(tmp_path / "local")
    assert [n for n in _objects(fs, "killed") if not n.startswith("dist/")] == sorted(UNRELATED)


def test_template_tasks_read_units_staged_in_s3(local_ray, s3, tmp_path, monkeypatch):
    """The read tasks take the stage's filesystem: units in the store give the driver's
    templates, as units on local disk do (tests/test_ray_corpus_tasks.py). Where the tasks run
    cannot show on a one-node Ray: `read_placement` is tested on its own, below."""
    from test_ray_corpus_tasks import _documents, _driver_templates, _units

    fs, _ = s3
    options = TemplateOptions()
    units = _units(_documents(), 13)
    stage = UnitStage("corpus/template-units/.dist.units-0123456789abcdef0123", fs)
    for number, counts in enumerate(units):
        folder = stage.unit_folder(number)
        pq.write_table(counts.docs, f"{folder}/line_docs.parquet", filesystem=fs)
        pq.write_table(counts.lines, f"{folder}/line_lines.parquet", filesystem=fs)
        with fs.open_output_stream(f"{folder}/done") as stream:
            stream.write(b"")
    monkeypatch.setattr("newsclean.engines.ray_templates.UNITS_PER_READ", 3)
    counter = UnitLineCounter(stage, tmp_path / "ray", options)
    for counts in units:
        counter.add(counts)
    got = pq.read_table(counter.templates())
    assert got.num_rows > 0 and got.equals(_driver_templates(tmp_path / "driver", units, options))


def test_read_tasks_are_pinned_to_the_driver_only_for_units_on_its_disk(s3, tmp_path):
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    fs, _ = s3
    node = "ab" * 28
    here = read_placement(UnitStage(tmp_path / ".dist.units-0123456789abcdef0123"), node)
    assert isinstance(here, NodeAffinitySchedulingStrategy) and here.node_id == node and here.soft is False
    assert read_placement(UnitStage("corpus/stages/.dist.units-0123456789abcdef0123", fs), node) == "DEFAULT"


def test_stage_is_an_option_of_the_ray_engine(corpus, tmp_path):
    from conftest import cli
    from newsclean.engines import engine_named

    assert engine_named("ray", None, None, None, "s3://bucket/stage") == RayEngine(stage="s3://bucket/stage")
    with pytest.raises(ValueError, match="--stage is for --engine ray"):
        engine_named("local", stage="s3://bucket/stage")
    inputs, _ = corpus
    result = cli("run", str(inputs[0]), "--out", str(tmp_path / "dist"), "--stage", str(tmp_path / "st"))
    assert result.returncode == 2 and "--stage is for --engine ray" in result.stderr, result.stderr
    assert "--stage URI" in " ".join(cli("run", "--help").stdout.split())


def test_an_actor_that_cannot_write_to_the_stage_fails_the_run_with_its_own_error(local_ray, corpus, s3, tmp_path):
    """Ray wraps an actor's exception in its own, whose text is the remote traceback: the run
    raises the actor's `StageWriteError` itself, whose text says what failed and what to do."""
    _, uri = s3
    inputs, _ = corpus
    missing = uri("x").replace("@corpus/x?", "@no-such-bucket/stages?")
    with pytest.raises(StageWriteError) as caught:
        run(inputs, tmp_path / "dist", engine=RayEngine(unit_bytes=4_000, stage=missing))
    message = str(caught.value)
    assert re.match(r"unit \d+ could not be staged in s3://no-such-bucket/stages/\.dist-", message)
    assert "Traceback" not in message and "\x1b[" not in message and "test:test" not in message
    assert not isinstance(caught.value, ray.exceptions.RayTaskError)
    assert not (tmp_path / "dist").exists()
