"""One unit of work: a batch of documents through every step, validated, as Arrow tables."""
from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from .cleaning.rules import relaxed_families
from .corpus.dedup import with_signatures
from .corpus.templates import LineCounts, count_lines
from .document import Document
from .executor import release_memory
from .options import Options
from .publish.repeats import POSITION
from .publish.tables import corpus_table, reject_row, rejects_table, removals_table
from .publish.validate import split_valid
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
