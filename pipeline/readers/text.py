"""Plain-text articles: one .txt file is one document, its id the file stem."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

from ..document import Document
from ..options import InputOptions, LimitsOptions
from .decode import Undecodable, decode_bytes
from .files import READ_ERRORS, LimitExceeded, check_lines, file_stem, read_input


def read_text_file(path: Path, provenance: str, options: InputOptions,
                   limits: LimitsOptions = LimitsOptions()) -> Iterator[Document]:
    doc = Document(id=file_stem(path), raw="", provenance=provenance)
    try:
        text = decode_bytes(read_input(path, limits))
        check_lines(text, limits)
        doc.raw = text
    except (Undecodable, LimitExceeded) as exc:
        doc.reject(exc.reason, str(exc))
    except READ_ERRORS as exc:
        doc.reject("unreadable", f"cannot read the file: {getattr(exc, 'strerror', None) or exc}")
    yield doc
