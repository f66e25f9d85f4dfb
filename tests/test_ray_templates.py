"""Template lines counted by Ray tasks over the staged units (`engines.ray_templates`): the same
template pairs as the driver's `LineCounter`, whatever the units' order, the partitions or the
units per read task, and the Ray release byte for byte the local one."""
from __future__ import annotations

import dataclasses
import logging
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from newsclean import run
from newsclean.corpus.templates import LineCounter, LineCounts
from newsclean.engines import LocalEngine, RayEngine
from newsclean.engines import ray_templates
from newsclean.engines.ray_templates import UnitLineCounter, partitions_for
from newsclean.engines.staging import UnitStage
from newsclean.options import Options, TemplateOptions
from test_determinism import _corpus, _release_bytes

ray = pytest.importorskip("ray")

SOURCES = ("alpha.example", "beta.example", "gamma.example", "delta.example")


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False)
    yield
    ray.shutdown()


def _key(rng: random.Random) -> int:
    return rng.randrange(-2**63, 2**63)


def _documents(seed: int = 18) -> list[tuple[str, int, set[int]]]:
    """(source, document key, line keys): per-source footers (templates), a line every source
    has (not a template: shared), lines under the thresholds, and exact copies (one key twice)."""
    rng = random.Random(seed)
    shared = _key(rng)
    docs = []
    for source in SOURCES:
        footer, pitch, rare = _key(rng), _key(rng), _key(rng)
        for n in range(40):
            lines = {_key(rng) for _ in range(rng.randint(0, 6))} | {shared}
            if n % 5:
                lines.add(footer)  # in 80% of the source's documents
            if n % 4 == 0:
                lines.add(pitch)  # 25%: under min_share
            if n < 2:
                lines.add(rare)  # 2 documents: under min_docs
            doc = _key(rng)
            docs.append((source, doc, lines))
            if n % 7 == 0:
                docs.append((source, doc, set(lines)))  # an exact copy: counted once
    return docs


def _units(docs: list[tuple[str, int, set[int]]], size: int) -> list[LineCounts]:
    units = []
    for start in range(0, len(docs), size):
        chunk = docs[start:start + size]
        rows = [(row, source, line, doc) for row, (source, doc, lines) in enumerate(chunk) for line in sorted(lines)]
        units.append(LineCounts(
            pa.table({"_row": pa.array(range(len(chunk)), pa.int64()), "source": [s for s, _, _ in chunk],
                      "doc": pa.array([d for _, d, _ in chunk], pa.int64())}),
            pa.table({"_row": pa.array([r[0] for r in rows], pa.int64()), "source": [r[1] for r in rows],
                      "line": pa.array([r[2] for r in rows], pa.int64()),
                      "doc": pa.array([r[3] for r in rows], pa.int64())})))
    return units


def _stage(folder: Path, units: list[LineCounts]) -> UnitStage:
    """The units' count tables as the Ray engine stages them (the other tables are not read)."""
    stage = UnitStage(folder)
    for number, counts in enumerate(units):
        unit = stage.unit_folder(number)
        unit.mkdir(parents=True)
        pq.write_table(counts.docs, unit / "line_docs.parquet")
        pq.write_table(counts.lines, unit / "line_lines.parquet")
        (unit / "done").write_bytes(b"")
    return stage


def _driver_templates(folder: Path, units: list[LineCounts], options: TemplateOptions) -> pa.Table:
    counter = LineCounter(folder, options)
    for counts in units:
        counter.add(counts)
    return pq.read_table(counter.templates())


@pytest.mark.parametrize("partitions,units_per_read,unit_size,shuffle",
                         [(1, 16, 25, False), (4, 1, 7, True), (8, 3, 60, True)])
def test_ray_tasks_find_the_drivers_template_lines(local_ray, tmp_path, monkeypatch,
                                                   partitions, units_per_read, unit_size, shuffle):
    options = TemplateOptions()
    docs = _documents()
    expected = _driver_templates(tmp_path / "driver", _units(docs, 25), options)
    assert expected.num_rows == len(SOURCES)  # each source's footer, and nothing else
    if shuffle:  # other units: the documents in another order, cut elsewhere
        random.Random(partitions).shuffle(docs)
    units = _units(docs, unit_size)
    monkeypatch.setattr(ray_templates, "partitions_for", lambda _units: partitions)
    monkeypatch.setattr(ray_templates, "UNITS_PER_READ", units_per_read)
    counter = UnitLineCounter(_stage(tmp_path / "units", units), tmp_path / "ray", options)
    for counts in units:
        counter.add(counts)
    got = pq.read_table(counter.templates())
    assert got.equals(expected)


def test_no_units_no_template_lines(local_ray, tmp_path):
    counter = UnitLineCounter(UnitStage(tmp_path / "units"), tmp_path / "ray", TemplateOptions())
    assert pq.read_table(counter.templates()).num_rows == 0


def test_partitions_grow_with_the_units_as_powers_of_two():
    assert partitions_for(0) == partitions_for(1) == 1
    assert partitions_for(10_000) == 64
    assert partitions_for(10**9) == ray_templates.MAX_PARTITIONS
    assert all(partitions_for(n) & (partitions_for(n) - 1) == 0 for n in (3, 300, 3_000, 30_000))


def test_only_the_ray_engine_counts_in_tasks(tmp_path):
    stage = UnitStage(tmp_path)
    assert LocalEngine().line_counter(stage) is None
    assert RayEngine().line_counter(None) is None  # no staged units: the driver counts
    assert RayEngine(count_templates_in_tasks=False).line_counter(stage) is None
    assert RayEngine().line_counter(stage).func is UnitLineCounter


def test_the_ray_release_with_counting_in_tasks_is_the_local_one(local_ray, tmp_path, monkeypatch, caplog):
    """The multi-source corpus (templates, copies, bad records), inputs reversed, small units
    and four partitions: the local engine's bytes, the templates found by the tasks."""
    (tmp_path / "in").mkdir()
    inputs = _corpus(tmp_path / "in")
    run(inputs, tmp_path / "local", dataclasses.replace(Options(), batch_docs=10))
    monkeypatch.setattr(ray_templates, "partitions_for", lambda _units: 4)
    monkeypatch.setattr(ray_templates, "UNITS_PER_READ", 2)
    with caplog.at_level(logging.INFO, logger="newsclean.engines.ray_templates"):
        summary = run(inputs[::-1], tmp_path / "ray", dataclasses.replace(Options(), batch_docs=3),
                      engine=RayEngine())
    assert "template lines (ray, 28 units, 4 partitions): 3 (source, line) pairs" in caplog.text
    assert summary.corpus.counts()["template_lines"] > 0 and summary.rejected > 0
    assert _release_bytes(tmp_path / "ray") == _release_bytes(tmp_path / "local")
