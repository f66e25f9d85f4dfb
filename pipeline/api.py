"""The Python API: clean one text, run a corpus, load a published corpus."""
from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds

from .document import Document
from .options import Options
from .publish.validate import validate_release
from .steps import apply_steps, document_steps


class InvalidCorpus(ValueError):
    """The folder is not a valid published corpus; the message lists every violation."""


def clean_text(raw: str, *, title: str | None = None, url: str | None = None,
               published: str | None = None, author: str | None = None, id: str = "text",
               options: Options = Options()) -> Document:
    """Clean one article's text; the returned Document has `text`, metadata and `removals`.

    Fields you already know (title, url, published, author) win over what the text says.
    If the document cannot be cleaned, `rejection` says why and `text` may be empty.
    """
    given = {k: v for k, v in (("title", title), ("url", url), ("published", published),
                               ("author", author)) if v}
    doc = Document(id=id, raw=raw, provenance="clean_text", given=given)
    return apply_steps(doc, document_steps(options))


def load_corpus(path: str | Path = "dist", *, validate: bool = True) -> pa.Table:
    """The published corpus as a pyarrow Table (`.to_pandas()` for a DataFrame), validated first.

    `path` is a local folder or any URI pyarrow's filesystems understand (s3://, gs://, ...);
    remote folders are read without the local manifest check.
    """
    text = str(path)
    local = "://" not in text
    if local and validate:
        report = validate_release(text)
        if not report.ok:
            raise InvalidCorpus(report.to_text())
    source = f"{text.rstrip('/')}/data"
    table = ds.dataset(source, format="parquet").to_table()
    if not local and validate:
        from .publish.validate import failed_rows, to_frame
        from schemas.corpus import corpus_schema
        failures = failed_rows(corpus_schema(), to_frame(table))
        if failures:
            raise InvalidCorpus(f"{text}: {len(failures)} rows fail the corpus schema")
    return table.sort_by("id")
