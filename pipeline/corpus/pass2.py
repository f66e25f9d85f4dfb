"""Pass 2 of the corpus stage over rows in id order: template lines stripped, changed rows signed
again, and the rows, removals, template-only rejects and signatures written (`write_pass2`). The
driver runs it over the whole corpus (`stage.CorpusStage`), or an engine's task over one id range
of it (`ranges.clean_range`): the same code, the same rows.
"""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache, partial
from pathlib import Path
from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from newsclean.schemas import Corpus, Rejects, Removals, arrow_schema

from ..executor import map_ordered, release_memory
from ..options import CorpusOptions, TemplateOptions
from .dedup import SIGNATURE, SignatureWriter, sign, signature_matrix, signed_as
from .templates import Stripped, TemplateLines

SLICE_ROWS = 500  # rows per unit of pass-2 work: bounds what is in flight to and from the workers
TRIM_EVERY = 16  # slices between two `release_memory` calls (a trim costs ~1 ms)

@lru_cache(maxsize=2)
def _templates(path: str, options: TemplateOptions) -> TemplateLines:
    return TemplateLines.load(Path(path), options)


def clean_and_sign(data: pa.Table, *, templates: str | None, options: CorpusOptions
                   ) -> tuple[Stripped, np.ndarray, float, float]:
    """One slice of rows through pass 2: strip template lines, then sign.

    The rows come with the signatures the batch workers made (the SIGNATURE column); only rows
    that lost a template line here have a new text, and only those are signed again."""
    started = time.perf_counter()
    if templates is not None:
        stripped = _templates(templates, options.templates).strip(data, arrow_schema(Removals))
    else:
        stripped = Stripped(data, arrow_schema(Removals).empty_table(), data.slice(0, 0), Counter())
    applied = time.perf_counter()
    data = signed_as(stripped.data, options.dedup)  # as given by the batch workers, normally
    signatures = signature_matrix(data[SIGNATURE], options.dedup)
    if stripped.removals.num_rows:
        changed = pc.is_in(data["id"], value_set=pc.unique(stripped.removals["id"]))
        rows = np.flatnonzero(changed.to_numpy(zero_copy_only=False))
        signatures[rows] = sign(data["text"].take(pa.array(rows)).to_pylist(), options.dedup)
    stripped.data = data.drop_columns([SIGNATURE])
    if SIGNATURE in stripped.emptied.column_names:
        stripped.emptied = stripped.emptied.drop_columns([SIGNATURE])
    return stripped, signatures, applied - started, time.perf_counter() - applied


@dataclass(frozen=True)
class Pass2Files:
    """Where pass 2 writes: its copy of the rows (None: it keeps none, having changed none), the
    template lines' removals, the template-only rows' rejects, and the signatures."""

    clean: Path | None
    removals: Path
    rejects: Path
    signatures: Path


@dataclass
class Pass2Counts:
    """What pass 2 wrote: rows (numbered from 0 in `signatures`), template-only rows, template
    lines by source, and the seconds spent stripping and signing."""

    rows: int = 0
    template_only: int = 0
    by_source: Counter = field(default_factory=Counter)
    apply_s: float = 0.0
    sign_s: float = 0.0


def write_pass2(data: Iterator[pa.Table], templates: str | None, options: CorpusOptions, files: Pass2Files,
                workers: int = 1) -> Pass2Counts:
    """Pass 2 over rows in id order, one slice at a time (`clean_and_sign`, in `workers`
    processes when there are template lines to strip), into `files`: the stream of the driver, or
    of one id range (`ranges.clean_range`)."""
    corpus, removals, rejects = arrow_schema(Corpus), arrow_schema(Removals), arrow_schema(Rejects)
    # read back once, by pass 4: plain encoding, like the sorted runs (publish/shards.py)
    clean = pq.ParquetWriter(files.clean, corpus, use_dictionary=False) if files.clean is not None else None
    cut = pq.ParquetWriter(files.removals, removals)
    emptied = pq.ParquetWriter(files.rejects, rejects)
    signatures = SignatureWriter(files.signatures, options.dedup)
    work = partial(clean_and_sign, templates=templates, options=options)
    counts = Pass2Counts()
    slices_done = 0
    try:
        slices = _slices(data, SLICE_ROWS)
        # Without template lines a slice only needs its signatures read out: no worth in a pool.
        for stripped, sigs, applied, signed in map_ordered(work, slices, workers=workers if templates else 1):
            counts.apply_s, counts.sign_s = counts.apply_s + applied, counts.sign_s + signed
            slices_done += 1
            if slices_done % TRIM_EVERY == 0:
                release_memory()
            if clean is not None:
                clean.write_table(stripped.data)
            cut.write_table(stripped.removals)
            if stripped.emptied.num_rows:
                emptied.write_table(_template_rejects(stripped.emptied, rejects))
                counts.template_only += stripped.emptied.num_rows
            signatures.write(stripped.data, sigs)
            counts.by_source.update(stripped.by_source)
    finally:
        for writer in (clean, cut, emptied, signatures):
            if writer is not None:
                writer.close()
    counts.rows = signatures.rows
    return counts


def _slices(tables: Iterator[pa.Table], rows: int) -> Iterator[pa.Table]:
    """The same rows, in the same order, as tables of at most `rows` rows."""
    for table in tables:
        for start in range(0, table.num_rows, rows):
            yield table.slice(start, rows)


def _template_rejects(rows: pa.Table, schema: pa.Schema) -> pa.Table:
    records = [{"id": row["id"], "provenance": row["provenance"], "reason": "template_only", "checks": [],
                "detail": "every paragraph is a template line of its source "
                          f"({row['source']}); see the dataset card, 'Template lines'", "raw": None}
               for row in rows.select(["id", "provenance", "source"]).to_pylist()]
    return pa.Table.from_pylist(records, schema=schema)


__all__ = ["Pass2Counts", "Pass2Files", "clean_and_sign", "write_pass2"]
