"""`--engine ray`: the per-document steps in actors of a local Ray (2 CPUs), the release byte for
byte the one of `--engine local`, in any input order."""
from __future__ import annotations

import dataclasses
import json
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from conftest import cli
from newsclean import run
from newsclean.engines import RayEngine, engine_named
from newsclean.options import Options
from newsclean.readers import read_documents
from newsclean.readers.plan import plan_units
from test_determinism import _corpus, _release_bytes
from test_publish_remote import s3  # noqa: F401  (the fixture: moto's S3 server)

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> tuple[list[Path], dict[str, bytes]]:
    """The multi-source corpus (template lines, copies, bad records) and its local release."""
    root = tmp_path_factory.mktemp("ray")
    (root / "in").mkdir()
    inputs = _corpus(root / "in")
    run(inputs, root / "local", dataclasses.replace(Options(), batch_docs=10))
    return inputs, _release_bytes(root / "local")


def test_ray_publishes_the_local_release_byte_for_byte(local_ray, corpus, tmp_path):
    inputs, local = corpus
    for name, order, batch_docs in (("forward", inputs, 10), ("backward", inputs[::-1], 4)):
        out = tmp_path / name
        summary = run(order, out, dataclasses.replace(Options(), batch_docs=batch_docs), engine=RayEngine())
        assert summary.published > 0 and summary.rejected > 0
        got = _release_bytes(out)
        assert sorted(got) == sorted(local)
        assert [n for n in local if got[n] != local[n]] == [], name
    # the steps ran in the engine's actors (the state API's public form needs the dashboard)
    actors = ray._private.state.actors().values()
    assert sum(actor.get("ActorClassName") == "StepsActor" for actor in actors) >= 2


def _mixed_corpus(folder: Path, inputs: list[Path]) -> list[Path]:
    """The corpus plus: one of its files again gzipped (repeated ids, decided by position), with
    CRLF line ends, a blank line and no last newline; a Parquet file of row groups of 7 rows
    repeating ids; two articles as .txt files."""
    import gzip

    import pyarrow as pa

    lines = inputs[0].read_bytes().splitlines()
    (folder / "again.jsonl.gz").write_bytes(gzip.compress(b"\r\n".join(lines[:5] + [b""] + lines[5:])))
    rows = [json.loads(line) for path in inputs[1:] for line in path.read_bytes().splitlines()[:20]
            if line.endswith(b"}")]
    pq.write_table(pa.table({"id": [r["id"] for r in rows], "text": [r["text"] for r in rows]}),
                   folder / "table.parquet", row_group_size=7)
    for n, row in enumerate(rows[:2]):
        (folder / f"page-{n}.txt").write_text(row["text"], encoding="utf-8")
    return [*inputs, folder / "again.jsonl.gz", folder / "table.parquet", folder / "page-0.txt", folder / "page-1.txt"]


def test_ray_units_of_byte_ranges_publish_the_local_release(local_ray, corpus, tmp_path, monkeypatch):
    """Units small enough that every JSONL file is cut into byte ranges and the Parquet file into
    row groups, inputs reversed: the local engine's bytes. The driver only plans: its readers
    are never called (the actors, other processes, read the units)."""
    import sys

    import newsclean.batch
    import newsclean.readers.plan as plan

    driver = sys.modules["newsclean.run"]
    inputs = _mixed_corpus(tmp_path, corpus[0])
    run(inputs, tmp_path / "local", dataclasses.replace(Options(), batch_docs=10))
    units = plan.plan_units(inputs, Counter(), Options().input, 4_000)
    kinds = Counter(piece.kind for unit in units for piece in unit.pieces)
    assert kinds["lines"] > 6 and kinds["row_groups"] > 2 and kinds["file"] == 3

    def never(*args, **kwargs):
        raise AssertionError("the driver read documents")

    for module, name in ((driver, "read_documents"), (newsclean.batch, "read_unit"), (plan, "read_unit"),
                         (plan, "count_here"), (driver, "count_here")):
        monkeypatch.setattr(module, name, never)
    summary = run(inputs[::-1], tmp_path / "ray", dataclasses.replace(Options(), batch_docs=3),
                  engine=RayEngine(unit_bytes=4_000))
    assert summary.read == sum(1 for _ in read_documents(inputs, decode=False))
    assert _release_bytes(tmp_path / "ray") == _release_bytes(tmp_path / "local")


def test_ray_publishes_to_an_s3_api(local_ray, corpus, s3):
    """The Ray engine's release written to moto's S3 server: the local bytes, valid, loadable."""
    from newsclean.api import load_corpus
    from newsclean.publish.validate import validate_release
    from test_publish_remote import _remote_bytes

    fs, uri = s3
    inputs, local = corpus
    run(inputs[::-1], uri("from-ray"), engine=RayEngine())
    assert _remote_bytes(fs, "from-ray") == local
    assert validate_release(uri("from-ray")).ok
    assert load_corpus(uri("from-ray")).num_rows > 0


def test_ray_reads_inputs_from_an_s3_api(local_ray, corpus, s3, tmp_path):
    """Inputs under an s3:// prefix, planned in byte ranges by the driver and read by the actors
    through pyarrow's S3 filesystem: the local engine's bytes."""
    fs, uri = s3
    inputs, _ = corpus
    for path in inputs:
        with fs.open_output_stream(f"corpus/ray-in/{path.name}") as stream:
            stream.write(path.read_bytes())
    run([uri("ray-in")], tmp_path / "local")
    run([uri("ray-in")], tmp_path / "ray", dataclasses.replace(Options(), batch_docs=4), engine=RayEngine(unit_bytes=5_000))
    local = _release_bytes(tmp_path / "local")
    assert _release_bytes(tmp_path / "ray") == local
    provenance = pq.read_table(tmp_path / "ray" / "data", columns=["provenance"])["provenance"].to_pylist()
    assert all(p.startswith("s3://corpus/ray-in/") for p in provenance) and provenance


def test_ray_pool_stays_below_the_cpu_count(local_ray):
    assert RayEngine().pool_size(ray) == 1  # 2 CPUs: one for the driver
    assert RayEngine(actors=3).pool_size(ray) == 3


def test_the_cli_runs_the_ray_engine(corpus, tmp_path):
    """A local Ray started by the CLI itself (no --address), as a user without a cluster runs it;
    units of 10 kB: each file read by the actors in byte ranges."""
    inputs, local = corpus
    out = tmp_path / "cli"
    result = cli("-v", "run", *map(str, inputs[::-1]), "--out", str(out), "--engine", "ray", "--unit-mb", "0.01")
    assert result.returncode == 0, result.stderr
    units = plan_units(inputs, Counter(), Options().input, 10_000)
    assert {piece.kind for unit in units for piece in unit.pieces} == {"lines"}
    assert f"planned {len(units)} units of up to 10,000 input bytes" in result.stderr, result.stderr
    assert _release_bytes(out) == local
    assert cli("validate", str(out)).returncode == 0


def test_engine_names_and_their_mistakes():
    assert engine_named("local").name == "local"
    assert engine_named("ray", "auto") == RayEngine(address="auto")
    assert engine_named("ray", None, 3) == RayEngine(actors=3)  # --workers: the actors
    assert engine_named("ray", None, None, 20_000) == RayEngine(unit_bytes=20_000)  # --unit-mb
    with pytest.raises(ValueError, match="--unit-mb is for --engine ray"):
        engine_named("local", None, None, 20_000)
    with pytest.raises(ValueError, match="--address is for --engine ray"):
        engine_named("local", "auto")
    with pytest.raises(ValueError, match="unknown engine 'spark'"):
        engine_named("spark")


def test_a_killed_ray_run_resumes_from_its_staged_units(local_ray, tmp_path_factory, tmp_path):
    """The driver killed (SIGKILL) once a few units are staged: no release appears, the units
    stay; the next run takes them back instead of cleaning them again and publishes the bytes of
    a local run. Both runs join the test's Ray cluster (`--address`)."""
    import os
    import signal
    import subprocess
    import sys
    import time

    from conftest import REPO, synthetic_corpus

    corpus = synthetic_corpus(tmp_path_factory, "resume", 400)
    config = tmp_path / "small-batches.toml"
    config.write_text("batch_docs = 8\n", encoding="utf-8")
    out = tmp_path / "dist"
    run([corpus], tmp_path / "local", dataclasses.replace(Options(), batch_docs=8))
    address = ray.get_runtime_context().gcs_address
    command = [sys.executable, "-m", "newsclean", "-v", "run", str(corpus), "--out", str(out),
               "--config", str(config), "--engine", "ray", "--address", address, "--unit-mb", "0.02"]
    driver = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and driver.poll() is None:
        if len(list(tmp_path.glob(".dist.units-*/unit-*/done"))) >= 3:
            break
        time.sleep(0.01)
    assert driver.poll() is None, "the run ended before it could be killed:\n" + driver.stderr.read().decode()
    os.kill(driver.pid, signal.SIGKILL)
    driver.wait()
    driver.stderr.close()
    staged = len(list(tmp_path.glob(".dist.units-*/unit-*/done")))
    assert staged >= 3 and not out.exists()
    resumed = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert f"resuming: {staged} units already staged" in resumed.stderr
    assert _release_bytes(out) == _release_bytes(tmp_path / "local")
    assert not list(tmp_path.glob(".dist.units-*"))  # published: the units are gone
