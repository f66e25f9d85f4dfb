"""JSON Lines (.jsonl, .jsonl.gz, .jsonl.zst): one object per line; fields named in InputOptions."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

from ..document import Document
from ..options import InputOptions
from .decode import Undecodable, decode_bytes
from .files import READ_ERRORS, file_stem, open_input
from .rows import row_document


def read_jsonl(path: Path, provenance: str, options: InputOptions) -> Iterator[Document]:
    stem = file_stem(path)
    number = 0
    try:
        with open_input(path) as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                where = f"{provenance}:{number}"
                try:
                    row = json.loads(decode_bytes(line))
                except (Undecodable, ValueError) as exc:
                    yield Document(id=f"{stem}-{number}", raw="", provenance=where).reject(
                        "bad_json", f"line {number} is not a JSON object: {exc}")
                    continue
                yield row_document(row, stem, number, where, options)
    except READ_ERRORS as exc:
        # the lines before the damage were published; the rest of the file is one reject
        yield Document(id=f"{stem}-{number + 1}", raw="", provenance=f"{provenance}:{number + 1}").reject(
            "unreadable", f"cannot read the file from line {number + 1} on: "
                          f"{getattr(exc, 'strerror', None) or exc}")
