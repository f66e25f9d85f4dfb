"""Pass 3's results staged on disk instead of held in this process: the clusters found from links
in parts, the canonical rows chosen and the fold's per-row entries written to Parquet, so an
engine can do all of it in tasks (Ray: `engines/ray_dedup.py`, `folded_by_tasks`) and the
driver keeps only counts, whatever the number of copies.

    stars       one part of the links (a partition's) reduced to (row, its component's root)
                pairs (`dedup.components`): fewer edges, the same connectivity
    components  every part's stars joined into the corpus' components (`dedup.components` again:
                each named by its smallest row, whatever the parts or their order), written as
                `components.parquet` (idx, root), sorted by idx
    fold        `dedup._fold` over those components (canonical row by `canonical_key`, by key
                only): `fold.parquet` (idx, published, duplicate_ids/sources/urls) sorted by idx,
                `duplicates.parquet`, `dropped.parquet` (ids whose removals are not published)
                and the template lines of folded rows per source

Every file is the driver's `Folding` written down: the same entries, so the same release bytes.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from newsclean.schemas import Duplicates, arrow_schema

from ..options import DedupOptions
from .dedup import Folding, _fold, components

FOLD_SCHEMA = pa.schema([("idx", pa.int64()), ("published", pa.bool_()),
                         ("duplicate_ids", pa.list_(pa.string())),
                         ("duplicate_sources", pa.list_(pa.string())),
                         ("duplicate_urls", pa.list_(pa.string()))])
COMPONENTS_SCHEMA = pa.schema([("idx", pa.int64()), ("root", pa.int64())])
FOLD_GROUP_ROWS = 65_536  # entries per row group: a shard's task reads only the groups of its rows
READ_IDS = 65_536  # removal ids read at a time when taking folded rows' template lines off


def stars(*links: np.ndarray) -> np.ndarray:
    """(2, n) links of one part reduced to (row, root) pairs, one per row that has a link."""
    joined = np.concatenate([np.zeros((2, 0), np.int64), *links], axis=1)
    rows, roots = components(joined[0], joined[1])
    return np.stack([rows, roots])


def write_components(path: str, *parts: np.ndarray) -> int:
    """The components of every part's stars (`stars`), written to `path` sorted by idx; the
    number of rows in a cluster."""
    joined = np.concatenate([np.zeros((2, 0), np.int64), *parts], axis=1)
    rows, roots = components(joined[0], joined[1])
    pq.write_table(pa.table({"idx": rows, "root": roots}, schema=COMPONENTS_SCHEMA), path)
    return len(rows)


@dataclass(frozen=True)
class FoldJob:
    """Pass 3 of a corpus stage: its signatures (`rows` of them), pass 2's removals and rejects
    files (template lines, template-only rows), and the folder the staged files go into."""

    signatures: str
    rows: int
    folder: str
    options: DedupOptions
    removals: tuple[str, ...] = ()
    rejects: tuple[str, ...] = ()

    @property
    def components(self) -> str:
        return str(Path(self.folder) / "components.parquet")


# Finds the links, their components and the fold of a FoldJob, staged on disk (an engine's tasks)
FoldTasks = Callable[[FoldJob], "StagedFolding"]


@dataclass
class StagedFolding:
    """The fold on disk (`FoldJob.folder`) and the counts the report needs."""

    fold: str
    duplicates: str
    dropped: str
    clusters: int = 0
    folded: int = 0
    exact: int = 0
    near: int = 0
    # template lines of rows folded away, per source: not counted (only published rows' are)
    uncounted: Counter = field(default_factory=Counter)


def fold_to_files(job: FoldJob) -> StagedFolding:
    """`dedup._fold` over the staged components, its results written to `job.folder`."""
    with pq.ParquetFile(job.components) as file:
        table = file.read(use_threads=False)
    folding = _fold(Path(job.signatures), table["idx"].to_numpy(), table["root"].to_numpy(), job.options)
    folder = Path(job.folder)
    staged = StagedFolding(str(folder / "fold.parquet"), str(folder / "duplicates.parquet"),
                           str(folder / "dropped.parquet"), folding.clusters, folding.folded,
                           folding.exact, folding.near)
    write_fold(folding, staged.fold)
    pq.write_table(pa.Table.from_pylist(folding.duplicates, schema=arrow_schema(Duplicates)), staged.duplicates)
    folded = {row["id"]: row["source"] for row in folding.duplicates if not row["in_corpus"]}
    staged.uncounted = folded_template_lines(folded, job.removals)
    ids = folding.dropped_ids()
    for path in job.rejects:
        ids += pq.read_table(path, columns=["id"])["id"].to_pylist()
    pq.write_table(pa.table({"id": pa.array(sorted(ids), pa.string())}), staged.dropped,
                   row_group_size=FOLD_GROUP_ROWS)
    return staged


def write_fold(folding: Folding, path: str) -> None:
    """`folding.rows` as Parquet, sorted by idx."""
    order = sorted(folding.rows)
    entries = [folding.rows[idx] for idx in order]
    table = pa.table({"idx": pa.array(order, pa.int64()), "published": [entry[0] for entry in entries],
                      "duplicate_ids": [entry[1] for entry in entries],
                      "duplicate_sources": [entry[2] for entry in entries],
                      "duplicate_urls": [entry[3] for entry in entries]}, schema=FOLD_SCHEMA)
    pq.write_table(table, path, row_group_size=FOLD_GROUP_ROWS)


def fold_entries(path: str, first: int = 0, end: int | None = None) -> dict[int, tuple]:
    """The entries of rows `first` to `end` (all: None), as `Folding.rows` holds them; only the
    row groups that reach into the range are read."""
    filters = [("idx", ">=", first)] + ([("idx", "<", end)] if end is not None else [])
    table = pq.read_table(path, filters=filters, use_threads=False)
    return {idx: (published, ids, sources, urls) for idx, published, ids, sources, urls in zip(
        *(table[name].to_pylist() for name in FOLD_SCHEMA.names))}


def folded_rows(path: str) -> np.ndarray:
    """The idx of the rows folded away (entries not published), sorted."""
    table = pq.read_table(path, columns=["idx", "published"], use_threads=False)
    return np.asarray(table["idx"].filter(pc.invert(table["published"])).to_numpy(), np.int64)


def dropped_ids(path: str, low: str | None = None, high: str | None = None) -> pa.Array:
    """The ids in `dropped.parquet` from `low` up to (not including) `high` (None: no bound)."""
    filters = ([("id", ">=", low)] if low is not None else []) + ([("id", "<", high)] if high is not None else [])
    table = pq.read_table(path, filters=filters or None, use_threads=False)
    return table["id"].combine_chunks() if table.num_rows else pa.array([], pa.string())


def folded_template_lines(folded: dict[str, str], removals: tuple[str, ...] | list) -> Counter:
    """Per source, the template lines removed from rows folded away (`folded`: id -> source)."""
    uncounted: Counter = Counter()
    if not folded:
        return uncounted
    value_set = pa.array(sorted(folded))
    for path in removals:
        for batch in pq.ParquetFile(path, pre_buffer=False).iter_batches(
                batch_size=READ_IDS, columns=["id"], use_threads=False):
            cut = batch.column(0)
            for doc_id in pc.filter(cut, pc.is_in(cut, value_set=value_set)).to_pylist():
                uncounted[folded[doc_id]] += 1
    return uncounted


__all__ = ["FoldJob", "FoldTasks", "StagedFolding", "dropped_ids", "fold_entries", "fold_to_files", "folded_rows",
           "folded_template_lines", "stars", "write_components"]
