"""The corpus stage's Ray tasks: template lines counted over the staged units
(`engines.ray_templates`) and copies linked by exact hash and MinHash band (`engines.ray_dedup`)
give what the driver's code gives, whatever the units' order, the partitions or the rows per read
task, and the Ray release is byte for byte the local one."""
from __future__ import annotations

import dataclasses
import logging
import random
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from newsclean import run
from newsclean.corpus import dedup
from newsclean.corpus.dedup import SignatureWriter
from newsclean.corpus.templates import LineCounter, LineCounts
from newsclean.engines import LocalEngine, RayEngine
from newsclean.engines import ray_dedup, ray_templates
from newsclean.engines.ray_templates import UnitLineCounter, partitions_for
from newsclean.engines.staging import UnitStage
from newsclean.options import DedupOptions, Options, TemplateOptions
from newsclean.readers.plan import plan_units
from test_determinism import _corpus, _release_bytes

ray = pytest.importorskip("ray")

SOURCES = ("alpha.example", "beta.example", "gamma.example", "delta.example")


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
        unit = Path(stage.unit_folder(number))
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


def test_the_ray_release_with_corpus_tasks_is_the_local_one(local_ray, tmp_path, monkeypatch, caplog):
    """The multi-source corpus (templates, near copies, bad records) and a fourth file with an
    exact copy (whose footer makes alpha's a line of two sources: no template), a repeated id
    and a bad record; inputs reversed, small units, four partitions: the local engine's bytes,
    the templates and links found by the tasks."""
    import json

    (tmp_path / "in").mkdir()
    inputs = _corpus(tmp_path / "in")
    alpha = [json.loads(line) for line in inputs[0].read_text().splitlines() if line.endswith("}")]
    wire = next(row for row in alpha if row["id"] == "wire-alpha")
    extra = tmp_path / "in" / "delta.jsonl"
    extra.write_text("\n".join([json.dumps({**wire, "id": "wire-delta", "url": "https://delta.example/wire"}),
                                 json.dumps({**alpha[3], "text": alpha[3]["text"] + "\n\nA later edit."}),
                                 '{"id": "broken", "text": ']) + "\n", encoding="utf-8")
    inputs.append(extra)
    run(inputs, tmp_path / "local", dataclasses.replace(Options(), batch_docs=10))
    monkeypatch.setattr(ray_templates, "partitions_for", lambda _units: 4)
    monkeypatch.setattr(ray_templates, "UNITS_PER_READ", 2)
    monkeypatch.setattr(ray_dedup, "partitions_for", lambda _rows, _bands: 4)
    monkeypatch.setattr(ray_dedup, "ROWS_PER_READ", 1)
    with caplog.at_level(logging.INFO, logger="newsclean.engines"):
        summary = run(inputs[::-1], tmp_path / "ray", dataclasses.replace(Options(), batch_docs=3),
                      engine=RayEngine(unit_bytes=6_000))
    units = len(plan_units(inputs, Counter(), Options().input, 6_000))  # byte ranges of the files
    assert units > 8
    assert f"template lines (ray, {units} units, 4 partitions): 2 (source, line) pairs" in caplog.text
    assert "exact copies (ray, 4 partitions)" in caplog.text and "near copies (ray)" in caplog.text
    counts = summary.corpus.counts()
    assert counts["template_lines"] > 0 and counts["duplicates_exact"] == 1 and counts["duplicates_near"] == 2
    assert summary.rejected_by_reason["bad_json"] == 10
    assert _release_bytes(tmp_path / "ray") == _release_bytes(tmp_path / "local")

def _signatures(path: Path, options: DedupOptions, write_rows: int) -> int:
    """`signatures.parquet` and its raw file with planted copies: exact (equal texts), near
    (a few values changed), and pairs sharing a band but far apart (candidates that fail the
    check); written `write_rows` rows at a time (one row group each)."""
    rng = np.random.default_rng(18)
    rows = 400
    matrix = rng.integers(0, 2**32, size=(rows, options.num_perm), dtype=np.uint32)
    hashes = [f"{rng.integers(0, 2**63):016x}" + "0" * 48 for _ in range(rows)]
    for copy, original in ((10, 3), (250, 3), (40, 41), (399, 0)):  # exact copies
        matrix[copy], hashes[copy] = matrix[original], hashes[original]
    for copy, original, changed in ((60, 61, 5), (62, 61, 12), (300, 62, 8), (120, 121, 60)):
        matrix[copy] = matrix[original]  # near copies (with 60 values changed: a failed candidate)
        matrix[copy, rng.choice(options.num_perm, changed, replace=False)] = rng.integers(0, 2**32, changed)
    matrix[200], hashes[200] = matrix[60], hashes[60]  # an exact copy of a near copy
    writer = SignatureWriter(path, options)
    for start in range(0, rows, write_rows):
        n = min(write_rows, rows - start)
        data = pa.table({"id": [f"doc-{i:04d}" for i in range(start, start + n)],
                         "content_hash": hashes[start:start + n],
                         "word_count": pa.array([100] * n, pa.int64()),
                         "published": pa.array([None] * n, pa.timestamp("us")),
                         "source": ["site.example"] * n, "url": [None] * n, "provenance": ["x"] * n})
        writer.write(data, matrix[start:start + n])
    writer.close()
    return rows


def _components(links) -> set[frozenset[int]]:
    rows, roots = dedup.components(links[0], links[1])
    by_root: dict[int, set[int]] = {}
    for member, root in zip(rows.tolist(), roots.tolist()):
        by_root.setdefault(root, set()).add(member)
    return {frozenset(members) for members in by_root.values()}


@pytest.mark.parametrize("partitions,rows_per_read,write_rows,near",
                         [(1, 100_000, 400, True), (4, 50, 37, True), (8, 1, 64, True), (2, 100, 50, False)])
def test_ray_tasks_link_the_drivers_copies(local_ray, tmp_path, monkeypatch,
                                          partitions, rows_per_read, write_rows, near):
    options = dataclasses.replace(DedupOptions(), near=near)
    path = tmp_path / "signatures.parquet"
    rows = _signatures(path, options, write_rows)
    expected = _components(dedup._linked(path, rows, options))
    planted = {frozenset({3, 10, 250}), frozenset({40, 41}), frozenset({0, 399})}
    planted |= {frozenset({60, 61, 62, 200, 300})} if near else {frozenset({60, 200})}
    assert expected == planted
    monkeypatch.setattr(ray_dedup, "partitions_for", lambda _rows, _bands: partitions)
    monkeypatch.setattr(ray_dedup, "ROWS_PER_READ", rows_per_read)
    got = _components(ray_dedup.linked_by_tasks(path, rows, options))
    assert got == expected
    assert dedup.cluster(path, rows, options, ray_dedup.linked_by_tasks).duplicates == \
        dedup.cluster(path, rows, options).duplicates
