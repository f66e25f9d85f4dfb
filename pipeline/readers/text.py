"""Plain-text articles: one .txt file is one document, its id the file stem."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

from ..document import Document
from ..options import InputOptions
from .decode import Undecodable, decode_bytes
from .files import READ_ERRORS, file_stem, read_input


def read_text_file(path: Path, provenance: str, options: InputOptions) -> Iterator[Document]:
    doc = Document(id=file_stem(path), raw="", provenance=provenance)
    try:
        doc.raw = decode_bytes(read_input(path))
    except Undecodable as exc:
        doc.reject(exc.reason, str(exc))
    except READ_ERRORS as exc:
        doc.reject("unreadable", f"cannot read the file: {getattr(exc, 'strerror', None) or exc}")
    yield doc
