"""Pass 3 staged on disk (`corpus.fold_files`) and made by Ray tasks (`engines.ray_dedup.folded_by_tasks`):
the components of links cut into parts and joined, the canonical rows, the fold's entries, the
duplicates table, the ids left out and the shard plan are what the driver's `dedup.cluster` and
`plan_data_shards` give, whatever the partitions and read sizes; and a Ray run in which the
driver's own clustering, folding and planning code fails publishes the local engine's bytes."""
from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from newsclean import run
from newsclean.corpus import CorpusStage, dedup
from newsclean.corpus.fold_files import (FoldJob, dropped_ids, fold_entries, fold_to_files, stars,
                                         write_components)
from newsclean.engines import LocalEngine, RayEngine
from newsclean.options import CorpusOptions, DedupOptions, Options, PublishOptions
from newsclean.publish.data_shards import plan_data_shards
from test_determinism import _corpus, _release_bytes
from test_ray_corpus_tasks import _signatures


def _read_components(path: Path) -> tuple[list[int], list[int]]:
    table = pq.read_table(path)
    return table["idx"].to_pylist(), table["root"].to_pylist()


@pytest.mark.parametrize("seed", range(12))
def test_stars_of_parts_joined_are_the_components_of_all_links(tmp_path, seed):
    """Random graphs (self-links, repeated links, sparse rows), the links cut into 1 to 9 parts
    at random, each part's stars made on its own, the parts joined in any order."""
    rng = np.random.default_rng(seed)
    rows = int(rng.integers(1, 2000))
    nodes = rng.choice(10 * rows, size=rows, replace=False)
    count = int(rng.integers(0, 2 * rows))
    a, b = nodes[rng.integers(0, rows, count)], nodes[rng.integers(0, rows, count)]
    if seed % 3 == 0:
        a, b = np.concatenate([a, a[:5]]), np.concatenate([b, b[:5]])
    expected = dedup.components(a, b)
    parts = int(rng.integers(1, 10))
    cut = rng.integers(0, parts, len(a))
    links = [np.stack([a[cut == p], b[cut == p]]) for p in range(parts)]
    made = [stars(part) for part in links]
    rng.shuffle(made)
    path = tmp_path / "components.parquet"
    assert write_components(str(path), *made) == len(expected[0])
    assert _read_components(path) == (expected[0].tolist(), expected[1].tolist())


def _job(tmp_path: Path, rows: int, options: DedupOptions, links: np.ndarray, parts: int) -> FoldJob:
    """The links' components staged as the tasks stage them: cut into `parts` by row, joined."""
    job = FoldJob(str(tmp_path / "signatures.parquet"), rows, str(tmp_path), options)
    cut = (links[0] * 7 + links[1]) % parts
    write_components(job.components, *[stars(links[:, cut == p]) for p in range(parts)])
    return job


def _same_folding(staged, folding: dedup.Folding, rejects: list[str] = ()) -> None:
    assert fold_entries(staged.fold) == folding.rows
    assert pq.read_table(staged.duplicates).to_pylist() == folding.duplicates
    assert (staged.clusters, staged.folded, staged.exact, staged.near) == \
        (folding.clusters, folding.folded, folding.exact, folding.near)
    assert dropped_ids(staged.dropped).to_pylist() == sorted(folding.dropped_ids() + list(rejects))


@pytest.mark.parametrize("keep,near,parts", [(False, True, 1), (False, True, 5), (True, True, 3), (False, False, 2)])
def test_the_staged_fold_is_the_drivers_folding(tmp_path, keep, near, parts):
    options = dataclasses.replace(DedupOptions(), keep_duplicates=keep, near=near)
    path = tmp_path / "signatures.parquet"
    rows = _signatures(path, options, 37)
    links = dedup._linked(path, rows, options)
    folding = dedup.cluster(path, rows, options)
    assert folding.clusters == 4 and folding.rows  # the planted clusters
    staged = fold_to_files(_job(tmp_path, rows, options, links, parts))
    _same_folding(staged, folding)
    for first, end in ((0, 1), (0, 61), (60, 62), (61, 400), (200, None), (401, None)):
        wanted = {idx: entry for idx, entry in folding.rows.items() if idx >= first and (end is None or idx < end)}
        assert fold_entries(staged.fold, first, end) == wanted
    ids = sorted(folding.dropped_ids())
    if ids:
        assert dropped_ids(staged.dropped, ids[0], ids[-1]).to_pylist() == ids[:-1]


def test_the_shard_plan_from_the_staged_fold_is_the_drivers(tmp_path):
    """Shard bounds (rows, ids) and each shard's fold entries, planned from memory and from disk."""
    options = DedupOptions()
    path = tmp_path / "signatures.parquet"
    rows = _signatures(path, options, 16)
    links = dedup._linked(path, rows, options)
    corpus = CorpusStage(tmp_path / "corpus", CorpusOptions())
    corpus.signatures_path, corpus.rows = path, rows
    corpus.folding = dedup.cluster(path, rows, options)
    staged = fold_to_files(_job(tmp_path, rows, options, links, 4))
    for shard_rows in (1, 3, 10, 64, 389, 390, 1000):
        in_memory = plan_data_shards(corpus, shard_rows)
        corpus.staged = staged
        from_files = plan_data_shards(corpus, shard_rows)
        corpus.staged = None
        assert len(from_files) == len(in_memory) == max(1, -(-corpus.published_rows() // shard_rows))
        for mine, theirs in zip(from_files, in_memory):
            assert dataclasses.replace(mine, fold={}, fold_file=None) == dataclasses.replace(theirs, fold={})
            assert fold_entries(mine.fold_file, mine.first_idx, mine.end_idx) == theirs.fold


ray = pytest.importorskip("ray")


@pytest.mark.parametrize("partitions,rows_per_read,write_rows,near,keep",
                         [(1, 100_000, 400, True, False), (4, 50, 37, True, False), (8, 1, 64, True, True),
                          (2, 100, 50, False, False)])
def test_ray_tasks_fold_the_drivers_copies(local_ray, tmp_path, monkeypatch, partitions, rows_per_read,
                                           write_rows, near, keep):
    from newsclean.engines import ray_dedup

    options = dataclasses.replace(DedupOptions(), near=near, keep_duplicates=keep)
    path = tmp_path / "signatures.parquet"
    rows = _signatures(path, options, write_rows)
    folding = dedup.cluster(path, rows, options)
    monkeypatch.setattr(ray_dedup, "partitions_for", lambda _rows, _bands: partitions)
    monkeypatch.setattr(ray_dedup, "ROWS_PER_READ", rows_per_read)
    staged = ray_dedup.folded_by_tasks(FoldJob(str(path), rows, str(tmp_path), options))
    _same_folding(staged, folding)


def test_no_rows_no_clusters(local_ray, tmp_path):
    from newsclean.engines import ray_dedup

    options = DedupOptions()
    path = tmp_path / "signatures.parquet"
    dedup.SignatureWriter(path, options).close()
    staged = ray_dedup.folded_by_tasks(FoldJob(str(path), 0, str(tmp_path), options))
    _same_folding(staged, dedup.cluster(path, 0, options))


def test_only_the_ray_engine_folds_in_tasks():
    assert LocalEngine().fold_tasks() is None
    assert RayEngine(fold_copies_in_tasks=False).fold_tasks() is None
    assert RayEngine(link_copies_in_tasks=False).fold_tasks() is None  # the driver has the links
    assert RayEngine().fold_tasks().__name__ == "folded_by_tasks"


def _copies(folder: Path) -> list[Path]:
    """The multi-source corpus and a file of copies of six of its articles, on their own sites:
    two exact copies and one near copy (a sentence added) each, their ids spread across the id
    space, so that clusters straddle shards and copies are folded in many of them."""
    inputs = _corpus(folder)
    rows = [json.loads(line) for path in inputs for line in path.read_text().splitlines() if line.endswith("}")]
    copies = []
    for n, row in enumerate(rows[3::11][:6]):
        for k, prefix in enumerate(("a", "m", "z")):
            text = row["text"] + ("\n\nAn editor added this sentence at the end." if k == 2 else "")
            copies.append(json.dumps({**row, "id": f"{prefix}-copy-{n}", "text": text,
                                      "url": f"{row['url']}/{prefix}-copy"}))  # its source's: a footer stays a template
    extra = folder / "copies.jsonl"
    extra.write_text("\n".join(copies) + "\n", encoding="utf-8")
    return [*inputs, extra]


def _drivers_fold_fails(patch) -> None:
    """The driver's own components, fold, canonical choice, shard plan and fold readers raise:
    a Ray run may still use them in its tasks (each task's process imports its own copy)."""
    import newsclean.corpus.fold_files as fold_files
    import newsclean.corpus.stage as stage
    import newsclean.publish.data_shards as data_shards
    import newsclean.publish.release as release
    import newsclean.publish.side_shards as side_shards

    def fails(*_args, **_kwargs):
        raise AssertionError("the driver clustered, folded or read the fold")

    for module, name in ((dedup, "components"), (dedup, "_fold"), (dedup, "canonical_key"), (dedup, "cluster"),
                         (stage, "cluster"), (fold_files, "components"), (fold_files, "_fold"),
                         (stage, "fold_entries"), (stage, "staged_dropped_ids"), (data_shards, "fold_entries"),
                         (data_shards, "folded_rows"), (release, "plan_data_shards"), (side_shards, "dropped_ids")):
        patch.setattr(module, name, fails)


@pytest.fixture(scope="module")
def copies(tmp_path_factory) -> list[Path]:
    folder = tmp_path_factory.mktemp("copies")
    return _copies(folder)


@pytest.mark.parametrize("keep", [False, True])
def test_ray_folds_in_tasks_and_publishes_the_local_bytes(local_ray, copies, tmp_path, monkeypatch, caplog, keep):
    """Shards of 3 rows, several partitions and read tasks, the inputs reversed: the local
    release byte for byte, though the driver's clustering, folding and planning code fails; and
    the same run with the fold in the driver fails (the test sees the driver's work)."""
    from newsclean.engines import ray_dedup

    monkeypatch.chdir(copies[0].parent)
    base = Options()
    corpus = dataclasses.replace(base.corpus, dedup=dataclasses.replace(base.corpus.dedup, keep_duplicates=keep))
    options = dataclasses.replace(base, batch_docs=7, corpus=corpus,
                                  publish=PublishOptions(shard_rows=3, row_group_rows=2))
    summary = run(copies, tmp_path / "local", options)
    local = _release_bytes(tmp_path / "local")
    assert summary.corpus.counts()["duplicate_clusters"] >= 7
    monkeypatch.setattr(ray_dedup, "partitions_for", lambda _rows, _bands: 4)
    monkeypatch.setattr(ray_dedup, "ROWS_PER_READ", 5)
    with monkeypatch.context() as patch, caplog.at_level(logging.INFO, logger="newsclean.engines"):
        _drivers_fold_fails(patch)
        got = run(copies[::-1], tmp_path / "ray", options, engine=RayEngine(actors=1, unit_bytes=8_000))
        assert "clusters (ray)" in caplog.text
        with pytest.raises(AssertionError, match="the driver clustered"):
            run(copies[::-1], tmp_path / "driver", options, engine=RayEngine(actors=1, fold_copies_in_tasks=False))
    assert got.corpus.counts() == summary.corpus.counts()
    release = _release_bytes(tmp_path / "ray")
    assert sorted(release) == sorted(local)
    assert [name for name in local if release[name] != local[name]] == []


def test_ray_fold_in_tasks_with_the_shards_streamed_by_the_driver(local_ray, copies, tmp_path, monkeypatch):
    """`RayEngine(write_shards_in_tasks=False)` (for comparisons): the driver streams the rows
    and reads the staged fold back for them: still the local bytes."""
    monkeypatch.chdir(copies[0].parent)
    options = dataclasses.replace(Options(), batch_docs=7, publish=PublishOptions(shard_rows=4, row_group_rows=3))
    run(copies, tmp_path / "local", options)
    run(copies[::-1], tmp_path / "ray", options, engine=RayEngine(actors=1, write_shards_in_tasks=False))
    assert _release_bytes(tmp_path / "ray") == _release_bytes(tmp_path / "local")
