#!/usr/bin/env python3
"""Pass 2's signatures in parts against one file, timed in one process: what the join of the id
ranges' signature files cost (one task rewriting them into one, before this version) and what
reading the parts as one costs each reader (`corpus/signature_parts.py`).

    python3 bench/signature_parts.py [--rows 100000] [--parts 2] [--repeat 3]

The rows are synthetic (random signatures, ids in order), written by `dedup.SignatureWriter` in
slices of 8,192 as pass 2 writes them, then cut into --parts ranges numbered from 0, each with its
raw file, as the ranges' tasks leave them. Files go under bench/out/signature-parts (git-ignored).
"""
from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq


def write_signatures(path: Path, rows: int, options) -> None:
    from newsclean.corpus.dedup import SignatureWriter

    rng = np.random.default_rng(7)
    writer = SignatureWriter(path, options)
    for start in range(0, rows, 8_192):
        n = min(8_192, rows - start)
        data = pa.table({"id": [f"doc-{i:09d}" for i in range(start, start + n)],
                         "content_hash": [f"{h:016x}" + "0" * 48 for h in rng.integers(0, 2**63, n)],
                         "word_count": pa.array(rng.integers(50, 900, n), pa.int64()),
                         "published": pa.array([None] * n, pa.timestamp("us")),
                         "source": ["site.example"] * n, "url": [f"https://site.example/{i}" for i in range(n)],
                         "provenance": [f"part-0.jsonl:{i}" for i in range(start, start + n)]})
        writer.write(data, rng.integers(0, 2**32, size=(n, options.num_perm), dtype=np.uint32))
    writer.close()


def cut(whole: Path, folder: Path, parts: int, options) -> tuple[Path, list[Path]]:
    """`whole` cut into `parts` ranges' files (idx from 0 each), listed as `folder`'s signatures."""
    from newsclean.corpus.signature_parts import raw_path, write_parts_index

    table, raw = pq.read_table(whole), raw_path(whole).read_bytes()
    width, edges = 4 * options.num_perm, np.linspace(0, table.num_rows, parts + 1).astype(int).tolist()
    paths, rows = [], []
    for number, (low, high) in enumerate(zip(edges[:-1], edges[1:])):
        part = folder / f"range-{number:05d}" / "signatures.parquet"
        part.parent.mkdir(parents=True)
        with pq.ParquetWriter(part, table.schema) as writer:
            for start in range(low, high, 8_192):  # slices as pass 2 writes them
                piece = table.slice(start, min(8_192, high - start))
                writer.write_table(piece.set_column(0, "idx", pc.subtract(piece["idx"], pa.scalar(low, pa.int64()))))
        raw_path(part).write_bytes(raw[low * width:high * width])
        paths.append(part)
        rows.append(high - low)
    path = folder / "signatures.parquet"
    write_parts_index(path, paths, rows)
    return path, paths


def join(parts: list[Path], path: Path, options) -> None:
    """What `ranges.join_signatures` did before this version: the parts rewritten as one file,
    each part's idx offset by the rows before it, their raw signatures appended."""
    from newsclean.corpus.dedup import signature_schema
    from newsclean.corpus.signature_parts import raw_path

    schema, offset = signature_schema(options), 0
    with pq.ParquetWriter(path, schema) as writer, open(raw_path(path), "wb") as raw:
        for part in parts:
            file = pq.ParquetFile(part, pre_buffer=False)
            for group in range(file.metadata.num_row_groups):
                table = file.read_row_group(group, use_threads=False)
                idx = pc.add(table["idx"], pa.scalar(offset, pa.int64()))
                writer.write_table(table.set_column(0, schema.field("idx"), idx).cast(schema))
            offset += file.metadata.num_rows
            with open(raw_path(part), "rb") as source:
                shutil.copyfileobj(source, raw, 1 << 20)


def readers(path: Path, rows: int, options) -> dict[str, float]:
    """Each reader's seconds over the signatures at `path`."""
    from newsclean.corpus import dedup
    from newsclean.corpus.signature_parts import SignatureParts
    from newsclean.publish.data_shards import ids_at

    wanted = np.arange(0, rows, 97, dtype=np.int64)  # ~1% of the rows, spread
    bands, _ = dedup.band_shape(options)
    steps = {
        "columns (local links: exact + bands)": lambda parts: [parts.column(name) for name in
                                                               ["exact", *[f"band_{b:02d}" for b in range(bands)]]],
        "row groups (the copies' read tasks)": lambda parts: parts.read(parts.row_groups(), ["idx", "exact"]),
        "ids at every 97th row (shard plan)": lambda parts: ids_at(path, wanted[::10].tolist()),
        "rows of 1% (the fold)": lambda parts: dedup._load_rows(path, wanted, list(dedup.META)),
        "raw signatures of 1% (checks, fold)": lambda parts: parts.signatures(wanted, options.num_perm),
    }
    times = {}
    for name, step in steps.items():
        started = time.perf_counter()
        step(SignatureParts.of(path))
        times[name] = time.perf_counter() - started
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--parts", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from newsclean.options import DedupOptions

    options = DedupOptions()
    root = Path("bench/out/signature-parts")
    shutil.rmtree(root, ignore_errors=True)
    (root / "one").mkdir(parents=True)
    whole = root / "one" / "signatures.parquet"
    write_signatures(whole, args.rows, options)
    path, parts = cut(whole, root / "parts", args.parts, options)
    for round_ in range(args.repeat):
        joined = root / f"joined-{round_}" / "signatures.parquet"
        joined.parent.mkdir()
        started = time.perf_counter()
        join(parts, joined, options)
        print(f"round {round_}: the join of {args.parts} parts, {args.rows} rows: {time.perf_counter() - started:.2f} s")
        one, many = readers(whole, args.rows, options), readers(path, args.rows, options)
        for name in one:
            print(f"  {name:40s} one file {one[name]:6.3f} s   {args.parts} parts {many[name]:6.3f} s")


if __name__ == "__main__":
    main()
