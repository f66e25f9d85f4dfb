"""Parquet tables (.parquet): one row per document; fields named in InputOptions.

Only the columns the options name are read, one row group batch at a time, so wide tables
(embeddings, raw bytes) cost neither time nor memory. Row groups are read one by one: a corrupt
page costs the rows of its row group not yet read, each quarantined with the file, the row group
and its rows; the other row groups are published.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from ..document import Document
from ..options import InputOptions, LimitsOptions
from .files import file_stem, valid_text
from .rows import fields_of, row_document

BATCH_ROWS = 1_000
# A damaged row group whose footer claims more rows than this is one reject for its whole range,
# not a reject per row: a forged footer must not make billions of rows out of a small file.
MAX_REJECTS_PER_GROUP = 100_000
# What decoding damaged Parquet raises: Arrow's errors, a bad file, invalid UTF-8 in a string column.
READ_FAILURES = (pa.ArrowException, OSError, ValueError, EOFError)


def _message(exc: Exception, path: Path, provenance: str) -> str:
    """The error without this machine's path to the file."""
    return valid_text(str(exc).replace(str(path), provenance))


def read_parquet(path: Path, provenance: str, options: InputOptions,
                 limits: LimitsOptions = LimitsOptions()) -> Iterator[Document]:
    return read_parquet_groups(path, provenance, options, limits)


def read_parquet_groups(path: Path, provenance: str, options: InputOptions,
                        limits: LimitsOptions = LimitsOptions(), groups: range | None = None) -> Iterator[Document]:
    """The documents of row groups `groups` (all when None), numbered by their rows in the whole
    file: a planned unit (`readers.plan`) gives the documents reading the whole file gives."""
    stem = file_stem(path)
    try:
        source = path if isinstance(path, Path) else path.open_random_access()  # an object store's
        table = pq.ParquetFile(source, page_checksum_verification=True)
        names = set(table.schema_arrow.names)
        sizes = [table.metadata.row_group(i).num_rows for i in range(table.num_row_groups)]
    except READ_FAILURES as exc:
        yield Document(id=stem, raw="", provenance=provenance).reject(
            "unreadable", f"not a readable Parquet file: {_message(exc, path, provenance)}")
        return
    if options.text not in names and options.html not in names:
        yield Document(id=stem, raw="", provenance=provenance).reject(
            "no_text_field", f"the table has neither a {options.text!r} nor an {options.html!r} "
            f"column (it has: {', '.join(sorted(names))}); set [input] text / html in the config")
        return
    columns = [name for name in fields_of(options) if name in names]
    chosen = range(len(sizes)) if groups is None else groups
    first = 1 + sum(sizes[:chosen.start])  # the file's row number of the group's first row
    for group in chosen:
        rows = sizes[group]
        batches = table.iter_batches(batch_size=BATCH_ROWS, row_groups=[group], columns=columns)
        number = first
        while True:
            try:
                batch = next(batches, None)
                records = None if batch is None else batch.to_pylist()
            except READ_FAILURES as exc:
                yield from _lost_rows(stem, provenance, group, first, first + rows - 1, number,
                                      _message(exc, path, provenance))
                break
            if records is None:
                break
            for row in records:
                yield row_document(row, f"{stem}-{number}", number, f"{provenance}:{number}", options, limits)
                number += 1
        first += rows


def _lost_rows(stem: str, provenance: str, group: int, first: int, last: int, lost_from: int,
               error: str) -> Iterator[Document]:
    """One reject per row of the damaged group not yet read (or one for the range when huge)."""
    detail = (f"row group {group} (rows {first}-{last}) is damaged; rows {lost_from}-{last} "
              f"cannot be read: {error}")
    if last - lost_from + 1 > MAX_REJECTS_PER_GROUP:
        yield Document(id=f"{stem}-{lost_from}", raw="", provenance=f"{provenance}:{lost_from}-{last}").reject(
            "unreadable", detail)
        return
    for number in range(lost_from, last + 1):
        yield Document(id=f"{stem}-{number}", raw="", provenance=f"{provenance}:{number}").reject(
            "unreadable", detail)
