"""Connected components of the copy links on integer arrays (`dedup.components`): the same
components, and so the same canonical rows, as the dict union-find they replaced, on any graph."""
from __future__ import annotations

import numpy as np
import pytest

from newsclean.corpus import dedup


class OldUnionFind:
    """The union-find `dedup` used before (a dict over the linked rows), kept as the reference."""

    def __init__(self):
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        root = x
        while self.parent.get(root, root) != root:
            root = self.parent[root]
        while self.parent.get(x, x) != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: int, b: int) -> None:
        self.parent.setdefault(a, a)
        self.parent.setdefault(b, b)
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _reference(a: np.ndarray, b: np.ndarray) -> tuple[list[int], list[int]]:
    groups = OldUnionFind()
    for x, y in zip(a.tolist(), b.tolist()):
        groups.union(x, y)
    rows = sorted(groups.parent)
    return rows, [groups.find(row) for row in rows]


def _check(a, b) -> None:
    a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
    rows, roots = dedup.components(a, b)
    assert rows.dtype == np.int64 and roots.dtype == np.int64
    assert (rows.tolist(), roots.tolist()) == _reference(a, b)
    order = np.random.default_rng(len(a)).permutation(len(a))  # the links in another order, reversed
    again = dedup.components(b[order], a[order])
    assert again[0].tolist() == rows.tolist() and again[1].tolist() == roots.tolist()


def test_no_links_no_rows():
    rows, roots = dedup.components(np.zeros(0, np.int64), np.zeros(0, np.int64))
    assert rows.tolist() == [] and roots.tolist() == []


@pytest.mark.parametrize("length", [2, 3, 17, 1000])
def test_chains_in_any_direction(length):
    chain = np.arange(length)
    _check(chain[:-1], chain[1:])  # 0-1, 1-2, ...: a path
    _check(chain[1:][::-1], chain[:-1][::-1])  # the same path, from its far end
    shuffled = np.random.default_rng(length).permutation(length) * 7 + 3  # a path over scattered rows
    _check(shuffled[:-1], shuffled[1:])


def test_self_links_make_a_row_of_its_own():
    _check([5, 9, 9, 2], [5, 9, 12, 2])  # 5 and 2 linked to themselves only, as the old code kept them


def test_stars_and_alternating_paths():
    _check(np.full(50, 100), np.arange(50))  # a large centre, small leaves
    _check(np.zeros(50, np.int64), np.arange(1, 51))  # a small centre
    zigzag = np.array([v for i in range(40) for v in (2 * i + 41, i)])  # high-low-high-low...
    _check(zigzag[:-1], zigzag[1:])


@pytest.mark.parametrize("seed", range(25))
def test_random_graphs(seed):
    rng = np.random.default_rng(seed)
    rows = int(rng.integers(1, 3000))
    links = int(rng.integers(0, 2 * rows))
    nodes = rng.choice(10 * rows, size=rows, replace=False)  # sparse row numbers, isolated ones unlinked
    a, b = nodes[rng.integers(0, rows, links)], nodes[rng.integers(0, rows, links)]
    if seed % 3 == 0:  # duplicated links
        a, b = np.concatenate([a, a]), np.concatenate([b, b])
    _check(a, b)


def test_the_fold_chooses_the_canonical_rows_the_old_union_find_gave(tmp_path):
    """Random links over a signature file whose rows tie on words and dates: the folding (which
    row is published, what each lists, the duplicates table) is the old one's."""
    import datetime

    import pyarrow as pa

    from newsclean.options import DedupOptions

    options = DedupOptions()
    rng = np.random.default_rng(18)
    rows, path = 300, tmp_path / "signatures.parquet"
    matrix = rng.integers(0, 2**32, (rows, options.num_perm), dtype=np.uint64).astype(np.uint32)
    writer = dedup.SignatureWriter(path, options)
    day = datetime.datetime(2024, 1, 1)
    writer.write(pa.table({
        "id": [f"doc-{i:04d}" for i in range(rows)],
        "content_hash": [f"{int(rng.integers(0, 40)):064x}" for _ in range(rows)],
        "word_count": pa.array(rng.integers(100, 104, rows), pa.int64()),
        "published": pa.array([None if rng.random() < 0.3 else day + datetime.timedelta(days=int(rng.integers(0, 3)))
                               for _ in range(rows)], pa.timestamp("us")),
        "source": [f"s{i % 5}.example" for i in range(rows)], "url": [None] * rows,
        "provenance": [f"x:{i}" for i in range(rows)]}), matrix)
    writer.close()
    for links in (60, 150, 400):
        a, b = rng.integers(0, rows, links), rng.integers(0, rows, links)
        old_rows, old_roots = _reference(a, b)
        old = dedup._fold(path, np.array(old_rows, np.int64), np.array(old_roots, np.int64), options)
        new = dedup._fold(path, *dedup.components(a, b), options)
        assert new.rows == old.rows and new.duplicates == old.duplicates
        assert (new.clusters, new.folded, new.exact, new.near) == (old.clusters, old.folded, old.exact, old.near)
