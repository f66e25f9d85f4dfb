"""Saved HTML pages (.html, .htm, optionally gzipped): one page is one document, id the file stem.

The reader only decodes; extraction is the first document step (pipeline/extract/html.py),
so that it runs in the worker processes. Long lines are normal in HTML (minified pages): only
the page's size is bounded here.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

from ..document import Document
from ..options import InputOptions, LimitsOptions
from .decode import Undecodable, declared_charset, decode_bytes
from .files import READ_ERRORS, LimitExceeded, file_stem, read_input


def read_html_file(path: Path, provenance: str, options: InputOptions,
                   limits: LimitsOptions = LimitsOptions()) -> Iterator[Document]:
    doc = Document(id=file_stem(path), raw="", provenance=provenance)
    try:
        data = read_input(path, limits)
        doc.html = decode_bytes(data, declared_charset(data))
    except (Undecodable, LimitExceeded) as exc:
        doc.reject(exc.reason, str(exc))
    except READ_ERRORS as exc:
        doc.reject("unreadable", f"cannot read the file: {getattr(exc, 'strerror', None) or exc}")
    yield doc
