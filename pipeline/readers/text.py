"""Plain-text articles: one .txt file is one document, its id the file stem."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

from ..document import Document
from .decode import Undecodable, decode_bytes


def read_text_file(path: Path, provenance: str) -> Iterator[Document]:
    doc = Document(id=path.stem, raw="", provenance=provenance)
    try:
        doc.raw = decode_bytes(path.read_bytes())
    except Undecodable as exc:
        doc.reject(exc.reason, str(exc))
    except OSError as exc:
        doc.reject("unreadable", f"cannot read the file: {exc.strerror or exc}")
    yield doc
