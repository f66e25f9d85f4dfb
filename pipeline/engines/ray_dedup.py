"""Exact hashes and MinHash bands grouped by Ray tasks, candidate pairs checked on full signatures
in tasks: the links of `corpus.dedup._linked`, without the driver reading a column of the corpus.

    read     one task per ~100,000 rows of row groups of pass 2's signature files (on the driver's
             node, where the corpus stage wrote them; `corpus.signature_parts`): (exact, idx) split
             by exact key and (band, key, idx) by band key into PARTITIONS, left in Ray's object store
    exact    one task per partition: every row of an exact key is in it; the links between equal
             texts, and the rows that are not the first (smallest idx) of their text
    bands    one task per partition, the non-first rows broadcast and left out: within each
             (band, key) run, sorted by idx, each row paired with the run's first and its
             neighbour (`dedup._runs`: the same pairs as the driver makes)
    check    one task per partition's candidates, on the driver's node (the raw signature file):
             the pairs at or over the similarity threshold

With `folded_by_tasks` (the default) the links never reach the driver either:

    stars    one task per partition: its exact links and close pairs reduced to (row, root)
             pairs (`fold_files.stars`, connected components on integer arrays)
    join     one task, on the driver's node: every partition's stars joined into the corpus'
             components, each named by its smallest row, written to `components.parquet`
    fold     one task, on the driver's node: the canonical rows chosen by `canonical_key` and
             the fold written (`fold_files.fold_to_files`: the fold's entries, the duplicates
             table, the ids whose removals are left out, the folded rows' template lines)

The driver gets back counts and file paths. Components depend only on the set of links, never on
the order they arrive in, and every choice is by key, so the release is the local engine's bytes.
With `linked_by_tasks` (`RayEngine(fold_copies_in_tasks=False)`) the driver gets the links, as
integer arrays, and clusters and folds them itself (`dedup.cluster`).
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from ..corpus.dedup import PAIRS_PER_CHECK, _runs, _similarity, band_shape
from ..corpus.signature_parts import RowGroup, SignatureParts
from ..corpus.fold_files import FoldJob, StagedFolding, fold_to_files, stars, write_components
from ..options import DedupOptions
from .ray_shards import _on_this_node
from .ray_templates import MAX_PARTITIONS

log = logging.getLogger(__name__)

ROWS_PER_READ = 100_000  # signature rows read by one task (its row groups, whole)
ROWS_PER_PARTITION = 1_000_000  # band rows (bands per document) a partition is sized for


def partitions_for(rows: int, bands: int) -> int:
    wanted = max(1, rows * bands // ROWS_PER_PARTITION)
    partitions = 1
    while partitions < min(wanted, MAX_PARTITIONS):
        partitions *= 2
    return partitions


def _row_group_ranges(parts: SignatureParts) -> list[list[RowGroup]]:
    """The parts' row groups in runs of about ROWS_PER_READ rows (a run may span parts)."""
    ranges, current, rows = [], [], 0
    for group in parts.row_groups():
        current.append(group)
        rows += group[3]
        if rows >= ROWS_PER_READ:
            ranges.append(current)
            current, rows = [], 0
    return ranges + ([current] if current else [])


def read_keys(parts: SignatureParts, row_groups: list[RowGroup], bands: int, partitions: int) -> tuple[np.ndarray, ...]:
    """(exact, idx) pairs then (band, key, idx) triples of these row groups, by partition."""
    names = ["idx", "exact"] + [f"band_{b:02d}" for b in range(bands)]
    table = parts.read(row_groups, names)
    idx, exact = table["idx"].to_numpy(), table["exact"].to_numpy()
    keys = np.stack([table[f"band_{b:02d}"].to_numpy() for b in range(bands)], axis=1) if len(idx) else \
        np.zeros((0, bands), np.int64)
    mask = partitions - 1
    exact_parts = [np.stack([exact, idx])[:, (exact & mask) == p] for p in range(partitions)]
    band = np.broadcast_to(np.arange(bands, dtype=np.int64), keys.shape)
    triples = np.stack([band.ravel(), keys.ravel(), np.repeat(idx, bands)])
    band_parts = [triples[:, (triples[1] & mask) == p] for p in range(partitions)]
    return (*exact_parts, *band_parts)


def exact_partition(*parts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Links (2, n) between rows of equal texts, and the rows that are not their text's first."""
    exact, idx = np.concatenate([np.zeros((2, 0), np.int64), *parts], axis=1)
    a, b = _runs(exact, idx)
    order = np.lexsort((idx, exact))
    later = np.zeros(len(idx), bool)
    later[1:] = exact[order][1:] == exact[order][:-1]
    return np.stack([a, b]), np.sort(idx[order][later])


def band_partition(exact_parts: int, *parts: np.ndarray) -> np.ndarray:
    """Candidate pairs (2, n), distinct, from the (band, key) runs of the rows that are first of
    their text (`parts`: every exact partition's rows that are not, then this partition's bands)."""
    not_first = np.concatenate([np.zeros(0, np.int64), *parts[:exact_parts]])
    band, key, idx = np.concatenate([np.zeros((3, 0), np.int64), *parts[exact_parts:]], axis=1)
    keep = ~np.isin(idx, not_first)
    band, key, idx = band[keep], key[keep], idx[keep]
    pairs = []
    for one in np.unique(band).tolist():
        here = band == one
        members = idx[here]
        order = np.argsort(members, kind="stable")  # within a run, by idx: as the driver's pairs
        pairs.append(np.stack(_runs(key[here][order], members[order])))
    if not pairs:
        return np.zeros((2, 0), np.int64)
    return np.unique(np.concatenate(pairs, axis=1), axis=1)


def check_pairs(parts: SignatureParts, pairs: np.ndarray, options: DedupOptions) -> np.ndarray:
    """The candidate pairs whose full signatures reach the threshold."""
    close = [np.zeros((2, 0), np.int64)]
    for start in range(0, pairs.shape[1], PAIRS_PER_CHECK):
        a, b = pairs[0, start:start + PAIRS_PER_CHECK], pairs[1, start:start + PAIRS_PER_CHECK]
        needed, inverse = np.unique(np.concatenate([a, b]), return_inverse=True)
        matrix = parts.signatures(needed, options.num_perm)
        similar = _similarity(matrix[inverse[:len(a)]], matrix[inverse[len(a):]]) >= options.threshold
        close.append(np.stack([a[similar], b[similar]]))
    return np.concatenate(close, axis=1)


def _link_refs(path: Path, rows: int, options: DedupOptions) -> tuple[list, list, int]:
    """The tasks that find the links, started: object refs of each partition's exact links and
    (with `options.near` and rows to compare) of its close pairs, and the number of partitions."""
    import ray
    from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

    bands, _ = band_shape(options)
    partitions = partitions_for(rows, bands)
    here = NodeAffinitySchedulingStrategy(node_id=ray.get_runtime_context().get_node_id(), soft=False)
    reader = ray.remote(num_cpus=1, num_returns=2 * partitions, scheduling_strategy=here)(read_keys)
    signatures = SignatureParts.of(path)  # the list of files, not their rows: a few values a part
    shared = ray.put(signatures)  # once, not with every task
    read = [reader.remote(shared, groups_, bands, partitions) for groups_ in _row_group_ranges(signatures)]
    exact = ray.remote(num_cpus=1, num_returns=2)(exact_partition)
    exact_done = [exact.remote(*[keys[p] for keys in read]) for p in range(partitions)]
    exact_links = [done[0] for done in exact_done]
    if not options.near or rows < 2:
        return exact_links, [], partitions
    not_first = [done[1] for done in exact_done]  # passed on from task to task, not fetched here
    candidates = ray.remote(num_cpus=1)(band_partition)
    checker = ray.remote(num_cpus=1, scheduling_strategy=here)(check_pairs)
    found = [candidates.remote(len(not_first), *not_first, *[keys[partitions + p] for keys in read])
             for p in range(partitions)]
    return exact_links, [checker.remote(shared, pairs, options) for pairs in found], partitions


def linked_by_tasks(path: Path, rows: int, options: DedupOptions) -> np.ndarray:
    """`dedup._linked`'s links (2, n), the grouping and checking done by Ray tasks."""
    import ray

    links = [np.zeros((2, 0), np.int64)]
    if not rows:
        return links[0]
    exact, close, partitions = _link_refs(path, rows, options)
    links += ray.get(exact)
    log.info("exact copies (ray, %d partitions): %d links", partitions, sum(pairs.shape[1] for pairs in links))
    if not close:
        return np.concatenate(links, axis=1)
    close = ray.get(close)
    log.info("near copies (ray): %d close pairs from %d bands",
             sum(pairs.shape[1] for pairs in close), band_shape(options)[0])
    return np.concatenate(links + close, axis=1)


def partition_stars(*links: np.ndarray) -> tuple[np.ndarray, list[int]]:
    """A partition's links (exact, then close pairs) as (row, root) pairs, and how many links of
    each kind it had (for the log)."""
    return stars(*links), [part.shape[1] for part in links]


def folded_by_tasks(job: FoldJob) -> StagedFolding:
    """`dedup.cluster` by Ray tasks, its results staged in `job.folder` (`fold_files`): the
    driver holds no link, component or fold entry."""
    import ray

    exact, close, partitions = _link_refs(Path(job.signatures), job.rows, job.options) if job.rows else ([], [], 0)
    star = ray.remote(num_cpus=1, num_returns=2)(partition_stars)
    done = [star.remote(exact[p], *([close[p]] if close else [])) for p in range(partitions)]
    counts = ray.get([counted for _, counted in done])
    log.info("exact copies (ray, %d partitions): %d links", partitions, sum(c[0] for c in counts))
    if close:
        log.info("near copies (ray): %d close pairs from %d bands", sum(c[1] for c in counts),
                 band_shape(job.options)[0])
    clustered = ray.get(_on_this_node(write_components).remote(job.components, *[part for part, _ in done]))
    staged = ray.get(_on_this_node(fold_to_files).remote(job))
    log.info("clusters (ray): %d rows in %d clusters, %d copies folded", clustered, staged.clusters, staged.folded)
    return staged


__all__ = ["folded_by_tasks", "linked_by_tasks", "partition_stars", "partitions_for"]
