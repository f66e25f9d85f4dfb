"""A batch of documents through every step, validated, as Arrow tables; a planned unit read and
cleaned batch by batch (`--engine ray`)."""
from __future__ import annotations

from dataclasses import dataclass
from itertools import accumulate, islice

import pyarrow as pa
import pyarrow.compute as pc

from .cleaning.rules import relaxed_families
from .corpus.dedup import with_signatures
from .corpus.templates import ROW, LineCounts, count_lines
from .document import Document
from .executor import release_memory
from .fingerprint import InputFingerprint
from .options import Options
from .publish.repeats import POSITION
from .publish.tables import corpus_table, reject_row, rejects_table, removals_table
from .publish.batch_checks import split_valid
from .readers.plan import Unit, read_unit
from .steps import apply_steps_to_batch, document_steps


@dataclass
class BatchResult:
    # valid corpus rows, cast to the schema, plus their MinHash signatures (SIGNATURE) and their
    # canonical input positions (POSITION), which decide between rows of one id
    data: pa.Table
    removals: pa.Table  # their removed lines, plus the POSITION of the row each belongs to
    rejects: pa.Table
    line_counts: LineCounts  # the corpus stage's template counts of `data`'s rows (pass 1)


def process_batch(docs: list[Document], options: Options) -> BatchResult:
    positions = [doc.position for doc in docs]  # the steps may replace a document (DecodeRow)
    steps = document_steps(options)
    done = apply_steps_to_batch(docs, steps, options.limits.seconds_per_document)
    cleaned = [doc for doc in done if doc.rejection is None]
    cleaned_positions = [at for doc, at in zip(done, positions) if doc.rejection is None]
    rejects = [reject_row(doc, doc.rejection.reason, doc.rejection.detail)
               for doc in done if doc.rejection is not None]
    data, failures = split_valid(corpus_table(cleaned), relaxed_families(options.rules))
    for position, checks in sorted(failures.items()):
        rejects.append(reject_row(cleaned[position], "schema",
                                  "fails the corpus schema: " + "; ".join(checks), checks))
    # the corpus stage's per-row work, done here, in parallel: MinHash signatures, template counts
    data = with_signatures(data, options.corpus.dedup)
    line_counts = count_lines(data, options.corpus.templates)
    kept = [i for i in range(len(cleaned)) if i not in failures]
    published = [cleaned[i] for i in kept]
    published_positions = [cleaned_positions[i] for i in kept]  # `data`'s rows, in order
    data = data.append_column(POSITION, pa.array(published_positions, pa.uint64()))
    removals = removals_table(published)
    owners = [at for doc, at in zip(published, published_positions) for _ in doc.removals]
    removals = removals.append_column(POSITION, pa.array(owners, pa.uint64()))
    result = BatchResult(data, removals, rejects_table(rejects), line_counts)
    release_memory()  # what the batch freed goes back to the system, not into the worker's heaps
    return result


@dataclass
class UnitResult:
    """A planned unit's results (its batches' tables, concatenated) and what was read of it."""

    batch: BatchResult
    read: InputFingerprint  # the unit's documents: their count, bytes and fingerprint


def process_unit(unit: Unit, options: Options) -> UnitResult:
    """Read a planned unit (`readers.plan`) where this runs, an actor, and clean it batch by batch."""
    read = InputFingerprint()
    docs = iter(read.watch(read_unit(unit, options.input, options.limits)))
    results = []
    while batch := list(islice(docs, options.batch_docs)):
        results.append(process_batch(batch, options))
    if not results:  # e.g. a range of blank lines: empty tables of the right schemas
        results.append(process_batch([], options))
    return UnitResult(_concatenated(results), read)


def _concatenated(results: list[BatchResult]) -> BatchResult:
    """One result for the batches, the count rows' ROW pointing into the concatenated data."""
    if len(results) == 1:
        return results[0]
    offsets = list(accumulate((r.data.num_rows for r in results[:-1]), initial=0))

    def counts(kind: str) -> pa.Table:
        tables = [getattr(r.line_counts, kind) for r in results]
        return pa.concat_tables([t.set_column(t.column_names.index(ROW), ROW, pc.add(t[ROW], at))
                                 for t, at in zip(tables, offsets)])

    tables = (pa.concat_tables([getattr(r, name) for r in results]) for name in ("data", "removals", "rejects"))
    return BatchResult(*tables, LineCounts(counts("docs"), counts("lines")))
