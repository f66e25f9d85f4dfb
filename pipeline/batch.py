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
from .publish.tables import corpus_table, reject_row, rejects_table, removals_table
from .publish.validate import split_valid
from .steps import apply_steps_to_batch, document_steps


@dataclass
class BatchResult:
    data: pa.Table  # valid corpus rows, cast to the schema, plus their MinHash signatures (SIGNATURE)
    removals: pa.Table  # their removed lines, plus `_row`: the row of `data` each belongs to
    rejects: pa.Table
    line_counts: LineCounts  # the corpus stage's template counts of `data`'s rows (pass 1)


def process_batch(docs: list[Document], options: Options) -> BatchResult:
    steps = document_steps(options)
    done = apply_steps_to_batch(docs, steps, options.limits.seconds_per_document)
    cleaned = [doc for doc in done if doc.rejection is None]
    rejects = [reject_row(doc, doc.rejection.reason, doc.rejection.detail)
               for doc in done if doc.rejection is not None]
    data, failures = split_valid(corpus_table(cleaned), relaxed_families(options.rules))
    for position, checks in sorted(failures.items()):
        rejects.append(reject_row(cleaned[position], "schema",
                                  "fails the corpus schema: " + "; ".join(checks), checks))
    # the corpus stage's per-row work, done here, in parallel: MinHash signatures, template counts
    data = with_signatures(data, options.corpus.dedup)
    line_counts = count_lines(data, options.corpus.templates)
    published = [doc for i, doc in enumerate(cleaned) if i not in failures]
    removals = removals_table(published)
    rows = [i for i, doc in enumerate(published) for _ in doc.removals]
    removals = removals.append_column("_row", pa.array(rows, pa.int64()))
    result = BatchResult(data, removals, rejects_table(rejects), line_counts)
    release_memory()  # what the batch freed goes back to the system, not into the worker's heaps
    return result
