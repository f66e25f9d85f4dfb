"""Parquet tables (.parquet): one row per document; fields named in InputOptions.

Only the columns the options name are read, one row group batch at a time, so wide tables
(embeddings, raw bytes) cost neither time nor memory.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from ..document import Document
from ..options import InputOptions
from .files import file_stem
from .rows import fields_of, row_document

BATCH_ROWS = 1_000


def read_parquet(path: Path, provenance: str, options: InputOptions) -> Iterator[Document]:
    stem = file_stem(path)
    number = 0
    try:
        table = pq.ParquetFile(path)
        names = set(table.schema_arrow.names)
        if options.text not in names and options.html not in names:
            yield Document(id=stem, raw="", provenance=provenance).reject(
                "no_text_field", f"the table has neither a {options.text!r} nor an {options.html!r} "
                f"column (it has: {', '.join(sorted(names))}); set [input] text / html in the config")
            return
        columns = [name for name in fields_of(options) if name in names]
        for batch in table.iter_batches(batch_size=BATCH_ROWS, columns=columns):
            for row in batch.to_pylist():
                number += 1
                yield row_document(row, f"{stem}-{number}", number, f"{provenance}:{number}", options)
    except (pa.ArrowException, OSError) as exc:
        where = f"{provenance}:{number + 1}" if number else provenance
        yield Document(id=f"{stem}-{number + 1}" if number else stem, raw="", provenance=where).reject(
            "unreadable", f"not a readable Parquet file"
                          f"{f' after row {number}' if number else ''}: {exc}")
