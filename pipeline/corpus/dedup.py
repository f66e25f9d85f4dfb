"""Syndicated copies: exact and near-duplicate articles, folded into one canonical row per story.

News is syndicated: one wire story runs on dozens of sites with small edits. Two passes:
  1. sign: `sign` gives each row a MinHash signature of its word shingles (rensa), in the batch
     workers (`with_signatures`: the SIGNATURE column rides along in the sorted runs; the corpus
     stage signs again only rows whose text it changed); `SignatureWriter`
     writes the row's metadata and band keys to `signatures.parquet` and the signature itself to a
     raw uint32 file beside it (`signatures.u32`, row `idx` at byte `idx * 4 * num_perm`); pass 2
     by id ranges leaves a pair per range instead, read as one (`signature_parts.py`).
  2. cluster: `cluster` reads back one column at a time. Exact copies share a content hash;
     near copies share an LSH band and then must reach the similarity threshold on their full
     signatures. Linked rows form clusters (`components`: connected components on integer
     arrays); each cluster's canonical row is chosen by `canonical_key` and carries the other
     copies' ids, sources and urls.

Memory: one int64 column of the corpus at a time, the distinct candidate pairs (8 bytes each),
the signatures of one slice of pairs at a time (read from the raw file, never all of them) and
the links and the rows that are in a cluster; never the texts.
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from rensa import RMinHash

from ..folding import WORD_CHARACTERS, ascii_words
from ..options import DedupOptions
from .signature_parts import SignatureParts, parts_index, raw_path

log = logging.getLogger(__name__)

WORD = re.compile(r"\w+")
BAND_MIX = np.uint64(0x9E3779B97F4A7C15)  # golden-ratio multiplier: mixes hashes in sequence into one
READ_ROWS = 8_192  # rows read at a time when scanning the signatures back
PAIRS_PER_CHECK = 20_000  # candidate pairs compared at once (two signatures of 4 * num_perm bytes each)
META = ("idx", "id", "content_hash", "word_count", "published", "source", "url", "provenance")


def band_shape(options: DedupOptions) -> tuple[int, int]:
    """(bands, rows per band): the LSH banding of the signature (the last rows may go unused)."""
    bands = max(1, min(options.bands, options.num_perm))
    return bands, options.num_perm // bands


def shingle_hashes(words: list[int], size: int) -> np.ndarray:
    """64-bit hashes of the word n-grams, from the words' hashes (one n-gram when fewer words)."""
    hashes = np.asarray(words, dtype=np.uint64)
    count = max(1, len(hashes) - size + 1)
    width = min(size, len(hashes))
    with np.errstate(over="ignore"):
        combined = hashes[:count].copy()
        for k in range(1, width):
            combined = combined * BAND_MIX + hashes[k:k + count]
    return combined


def words_of(text: str) -> list[str]:
    """WORD.findall(text.casefold()), about 3x faster on news text (tests/test_corpus_stage.py)."""
    words = ascii_words(text, WORD_CHARACTERS)
    return WORD.findall(text.casefold()) if words is None else words


def sign(texts: list[str], options: DedupOptions) -> np.ndarray:
    """MinHash signatures, one uint32 row of `num_perm` values per text (deterministic per seed).

    Words are case-folded runs of letters and digits; rensa hashes them, numpy combines each
    run of `shingle_words` into one shingle hash, rensa signs the shingle sets.
    """
    if not texts:
        return np.zeros((0, options.num_perm), np.uint32)
    words = [words_of(text) or [""] for text in texts]
    shingles = [shingle_hashes(hashes, options.shingle_words) for hashes in RMinHash.hash_token_sets(words)]
    offsets = np.cumsum([0] + [len(row) for row in shingles], dtype=np.uint64)
    matrix = RMinHash.digest_matrix_from_flat_token_hashes(np.concatenate(shingles), offsets,
                                                           options.num_perm, options.seed)
    return np.asarray(matrix.to_rows(), dtype=np.uint32).reshape(len(texts), options.num_perm)


SIGNATURE = "_signature"  # the run tables' extra column: each row's signature, signed in the batch workers


def signature_field(options: DedupOptions) -> pa.Field:
    """The signature as a fixed-width binary column (num_perm little-endian uint32 values); its
    metadata names what the signature depends on, so rows signed otherwise can be told apart."""
    made_with = {"num_perm": options.num_perm, "seed": options.seed, "shingle_words": options.shingle_words,
                 "rensa": RMinHash.ALGORITHM_VERSION}
    return pa.field(SIGNATURE, pa.binary(4 * options.num_perm),
                    metadata={b"newsclean.minhash": json.dumps(made_with, sort_keys=True).encode()})


def signed_as(data: pa.Table, options: DedupOptions) -> pa.Table:
    """The rows with SIGNATURE made under these options: kept when the column says it was (the
    batch workers' signatures), made here when it is missing or was made otherwise."""
    if SIGNATURE in data.column_names:
        if data.schema.field(SIGNATURE).equals(signature_field(options), check_metadata=True):
            return data
        data = data.drop_columns([SIGNATURE])
    return with_signatures(data, options)


def with_signatures(data: pa.Table, options: DedupOptions) -> pa.Table:
    """The rows with their signatures appended as the SIGNATURE column.

    Signing happens in the batch workers, which run in parallel; a row's signature depends on
    its text alone (`sign` treats every text on its own), so the corpus stage re-signs only
    the rows whose text it changes."""
    signatures = sign(data["text"].to_pylist(), options)
    return data.append_column(signature_field(options), signature_array(signatures, options))


def signature_array(signatures: np.ndarray, options: DedupOptions) -> pa.Array:
    width = 4 * options.num_perm
    buffer = pa.py_buffer(np.ascontiguousarray(signatures, dtype="<u4").tobytes())
    return pa.FixedSizeBinaryArray.from_buffers(pa.binary(width), len(signatures), [None, buffer])


def signature_matrix(column: pa.ChunkedArray | pa.Array, options: DedupOptions) -> np.ndarray:
    """The SIGNATURE column back as a (rows, num_perm) uint32 matrix."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    if not len(column):
        return np.zeros((0, options.num_perm), np.uint32)
    data = np.frombuffer(column.buffers()[1], dtype="<u4", count=(column.offset + len(column)) * options.num_perm)
    return data.reshape(-1, options.num_perm)[column.offset:].astype(np.uint32)


def band_keys(signatures: np.ndarray, options: DedupOptions) -> np.ndarray:
    """(rows, bands) int64: one hash per band of each signature; equal keys make candidates."""
    bands, rows = band_shape(options)
    keys = np.zeros((signatures.shape[0], bands), np.uint64)
    values = signatures.astype(np.uint64)
    with np.errstate(over="ignore"):
        for band in range(bands):
            for column in range(band * rows, (band + 1) * rows):
                keys[:, band] = keys[:, band] * BAND_MIX + values[:, column] + np.uint64(band)
    return keys.view(np.int64)


def signature_schema(options: DedupOptions) -> pa.Schema:
    bands, _ = band_shape(options)
    return pa.schema([("idx", pa.int64()), ("id", pa.string()), ("exact", pa.int64()),
                      ("content_hash", pa.string()), ("word_count", pa.int64()),
                      ("published", pa.timestamp("us")), ("source", pa.string()), ("url", pa.string()),
                      ("provenance", pa.string())]
                     + [(f"band_{b:02d}", pa.int64()) for b in range(bands)])


# The columns of a signed row that SignatureWriter reads: the metadata it keeps, and the signature
SIGNED_COLUMNS = (*META[1:], SIGNATURE)


class SignatureWriter:
    """Appends signed rows, numbered in the order given (the id order), to one Parquet file and
    their signatures to the raw file (fixed-width rows: any row is one read away)."""

    def __init__(self, path: Path, options: DedupOptions):
        self.path, self.options = path, options
        self.schema = signature_schema(options)
        parts_index(path).unlink(missing_ok=True)  # an earlier run's parts are not these rows
        self.writer = pq.ParquetWriter(path, self.schema)
        self.raw = open(raw_path(path), "wb")
        self.rows = 0

    def write(self, data: pa.Table, signatures: np.ndarray) -> None:
        n = data.num_rows
        if not n:
            return
        keys = band_keys(signatures, self.options)
        hashes = data["content_hash"].to_pylist()
        columns = {
            "idx": pa.array(np.arange(self.rows, self.rows + n, dtype=np.int64)),
            "exact": pa.array([int.from_bytes(bytes.fromhex(h[:16]), "little", signed=True) for h in hashes],
                              pa.int64()),
            **{name: data[name] for name in META[1:]},
        }
        for band in range(keys.shape[1]):
            columns[f"band_{band:02d}"] = pa.array(keys[:, band])
        self.writer.write_table(pa.table(columns, schema=self.schema))
        self.raw.write(np.ascontiguousarray(signatures, dtype=np.uint32).tobytes())
        self.rows += n

    def close(self) -> None:
        self.writer.close()
        self.raw.close()


def signature_rows(path: Path, rows: np.ndarray, num_perm: int) -> np.ndarray:
    """The signatures of `rows` (sorted, distinct idx) of the signatures at `path`
    (`SignatureParts.signatures`: only these rows are read)."""
    return SignatureParts.of(path).signatures(rows, num_perm)


@dataclass
class Folding:
    """What the publishing pass does with clustered rows; rows not in `rows` pass unchanged."""

    # idx -> (published?, other ids, their sources, their urls)
    rows: dict[int, tuple[bool, list[str], list[str | None], list[str | None]]] = field(default_factory=dict)
    duplicates: list[dict] = field(default_factory=list)  # rows of the Duplicates table
    clusters: int = 0
    folded: int = 0  # copies left out of the corpus
    exact: int = 0
    near: int = 0

    def dropped_ids(self) -> list[str]:
        return [row["id"] for row in self.duplicates if not row["in_corpus"]]


def canonical_key(row: dict) -> tuple:
    """The canonical copy: the longest text (most words: the fullest version of the story), then
    the earliest published (the original, not a later re-post; unknown dates last), then the
    smallest id (a fixed tie-break). Depends only on the rows, never on their reading order."""
    published = row["published"]
    return (-row["word_count"], published is None, published or datetime.min, row["id"])


def components(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Connected components of the links a[i]-b[i], on integer arrays (no dict per row): the rows
    that have a link (a self-link counts), sorted, and each one's component named by its smallest
    row. Depends only on the set of links, never on their order.

    Roots are hooked onto the smallest root they are linked to, then every row is pointed at its
    root (pointer jumping); a root is always its tree's smallest row, so the rounds end with one
    tree per component, rooted at its smallest row."""
    a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
    rows, inverse = np.unique(np.concatenate([a, b]), return_inverse=True)
    ia, ib = inverse[:len(a)], inverse[len(a):]
    parent = np.arange(len(rows), dtype=np.int64)
    while True:
        pa_, pb_ = parent[ia], parent[ib]
        apart = pa_ != pb_
        if not apart.any():
            return rows, rows[parent]
        ia, ib, pa_, pb_ = ia[apart], ib[apart], pa_[apart], pb_[apart]  # joined links stay joined
        low, high = np.minimum(pa_, pb_), np.maximum(pa_, pb_)
        np.minimum.at(parent, high, low)  # roots only: every row points at its root here
        while True:
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            parent = grand


def _runs(values: np.ndarray, members: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (a, b) of members with equal values: each with its run's first and its neighbour."""
    order = np.argsort(values, kind="stable")
    sorted_values, sorted_members = values[order], members[order]
    same = sorted_values[1:] == sorted_values[:-1]
    if not same.any():
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    starts = np.concatenate([[True], ~same])
    run_start = np.maximum.accumulate(np.where(starts, np.arange(len(values)), 0))
    second = np.nonzero(same)[0] + 1
    first = sorted_members[run_start[second]]
    neighbour = sorted_members[second - 1]
    b = np.concatenate([sorted_members[second], sorted_members[second]])
    a = np.concatenate([first, neighbour])
    keep = a != b
    return np.minimum(a, b)[keep], np.maximum(a, b)[keep]


def _load_rows(path: Path, wanted: np.ndarray, columns: list[str]) -> pa.Table:
    """The rows whose idx is in `wanted` (sorted), scanning the parts that hold them in slices."""
    pieces = []
    value_set = pa.array(wanted, pa.int64())
    for table in SignatureParts.of(path).batches(columns, READ_ROWS, wanted):
        table = table.filter(pc.is_in(table["idx"], value_set=value_set))
        if table.num_rows:
            pieces.append(table)
    if not pieces:
        return pa.table({c: [] for c in columns})
    return pa.concat_tables(pieces)


def _similarity(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    return (left == right).mean(axis=1)


def cluster(path: Path, rows: int, options: DedupOptions, linker: Linker | None = None) -> Folding:
    """Read the signatures back and decide, for every clustered row, whether it is published.
    `linker`: what finds the links (`_linked` here; `engines.ray_dedup.linked_by_tasks` on Ray)."""
    links = (linker or _linked)(path, rows, options)
    return _fold(path, *components(links[0], links[1]), options)


# (the signatures' path, rows, options) -> the links (2, n) between rows of equal or similar texts
Linker = Callable[[Path, int, DedupOptions], np.ndarray]


def _linked(path: Path, rows: int, options: DedupOptions) -> np.ndarray:
    """The links (2, n) between rows of equal texts and, with `options.near`, similar signatures."""
    parts = SignatureParts.of(path)
    exact = parts.column("exact")
    idx = np.arange(rows, dtype=np.int64)
    a, b = _runs(exact, idx)
    links = [np.stack([a, b])]
    log.info("exact copies: %d links", len(np.unique(a * max(rows, 1) + b)))
    if options.near and rows > 1:
        representative = np.ones(rows, bool)
        order = np.argsort(exact, kind="stable")
        representative[order[1:][exact[order][1:] == exact[order][:-1]]] = False
        members = idx[representative]
        del exact, order, idx
        pairs = np.zeros(0, np.int64)  # a * rows + b, distinct: 8 bytes per candidate pair
        bands, _ = band_shape(options)
        for band in range(bands):
            x, y = _runs(parts.column(f"band_{band:02d}")[representative], members)
            pairs = np.union1d(pairs, x * rows + y)
        log.info("near copies: %d candidate pairs from %d bands", len(pairs), bands)
        for start in range(0, len(pairs), PAIRS_PER_CHECK):
            chunk = pairs[start:start + PAIRS_PER_CHECK]
            pa_, pb_ = chunk // rows, chunk % rows
            needed, inverse = np.unique(np.concatenate([pa_, pb_]), return_inverse=True)
            matrix = parts.signatures(needed, options.num_perm)
            sim = _similarity(matrix[inverse[:len(chunk)]], matrix[inverse[len(chunk):]])
            close = sim >= options.threshold
            links.append(np.stack([pa_[close], pb_[close]]))
    return np.concatenate(links, axis=1)


def _fold(path: Path, clustered: np.ndarray, roots: np.ndarray, options: DedupOptions) -> Folding:
    """`clustered`: the linked rows, sorted; `roots`: each one's component (`components`)."""
    folding = Folding()
    if not len(clustered):
        return folding
    table = _load_rows(path, clustered, list(META)).sort_by("idx")
    matrix = signature_rows(path, clustered, options.num_perm)
    rows = table.to_pylist()
    by_root: dict[int, list[int]] = {}  # in order of their smallest row, as the rows come
    for position, root in enumerate(roots[np.searchsorted(clustered, table["idx"].to_numpy())].tolist()):
        by_root.setdefault(root, []).append(position)
    for positions in by_root.values():
        members = sorted(positions, key=lambda p: canonical_key(rows[p]))
        canonical = members[0]
        ids = sorted(rows[p]["id"] for p in members)
        cluster_id = hashlib.sha256("\n".join(ids).encode("utf-8")).hexdigest()[:16]
        published = {canonical}
        if options.keep_duplicates:  # one row per distinct text: the corpus keeps unique hashes
            texts: set[str] = set()
            published = set()
            for p in members:
                if rows[p]["content_hash"] not in texts:
                    texts.add(rows[p]["content_hash"])
                    published.add(p)
        for p in members:
            others = sorted((q for q in members if q != p), key=lambda q: rows[q]["id"])
            folding.rows[rows[p]["idx"]] = (p in published, [rows[q]["id"] for q in others],
                                            [rows[q]["source"] for q in others],
                                            [rows[q]["url"] for q in others])
            if p == canonical:
                continue
            same_text = rows[p]["content_hash"] == rows[canonical]["content_hash"]
            similarity = 1.0 if same_text else float(_similarity(matrix[p:p + 1], matrix[canonical:canonical + 1])[0])
            folding.duplicates.append({
                "id": rows[p]["id"], "cluster": cluster_id, "canonical_id": rows[canonical]["id"],
                "kind": "exact" if same_text else "near", "similarity": similarity,
                "source": rows[p]["source"], "url": rows[p]["url"], "in_corpus": p in published,
                "provenance": rows[p]["provenance"]})
            folding.exact += same_text
            folding.near += not same_text
            folding.folded += p not in published
        folding.clusters += 1
    folding.duplicates.sort(key=lambda row: row["id"])
    return folding
