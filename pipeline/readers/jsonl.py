"""JSON Lines (.jsonl, .jsonl.gz, .jsonl.zst): one object per line; fields named in InputOptions.

The reader only splits the file into lines: each becomes a Document holding its bytes (`row`),
and the DecodeRow step, the pipeline's first, parses it. With workers, parsing JSON then costs
the reading process nothing: it was a third of that process's work while the workers ran.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from ..document import Document, PendingRow
from ..options import InputOptions
from .decode import Undecodable, decode_bytes
from .files import READ_ERRORS, file_stem, open_input
from .rows import row_document


# JSON nested deeper than this is rejected before decoding. Python's decoder recurses once per
# level, and where its recursion limit bites depends on the stack of whoever calls it (a worker,
# the main process, a caller's own code): the same line could decode in one run and fail in
# another. News records nest a few levels.
MAX_JSON_DEPTH = 200
JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)  # strings whole, brackets


class TooDeep(ValueError):
    """A JSON line nested deeper than MAX_JSON_DEPTH."""


def check_depth(text: str, limit: int = MAX_JSON_DEPTH) -> None:
    """Raise TooDeep when `text` nests arrays and objects deeper than `limit` (brackets inside
    strings do not count). Counting brackets bounds the depth: most lines need no scan."""
    if text.count("[") + text.count("{") <= limit:
        return
    depth = 0
    for token in JSON_TOKENS.finditer(text):
        bracket = token.group()
        if bracket in "[{":
            depth += 1
            if depth > limit:
                raise TooDeep(f"nested deeper than {limit} levels")
        elif bracket in "]}":
            depth -= 1


def read_jsonl(path: Path, provenance: str, options: InputOptions) -> Iterator[Document]:
    stem = file_stem(path)
    number = 0
    try:
        with open_input(path) as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                yield Document(id=f"{stem}-{number}", raw="", provenance=f"{provenance}:{number}",
                               row=PendingRow(number, line))
    except READ_ERRORS as exc:
        # the lines before the damage were published; the rest of the file is one reject
        yield Document(id=f"{stem}-{number + 1}", raw="", provenance=f"{provenance}:{number + 1}").reject(
            "unreadable", f"cannot read the file from line {number + 1} on: "
                          f"{getattr(exc, 'strerror', None) or exc}")


def decode_row(doc: Document, options: InputOptions) -> Document:
    """The document a JSON line describes (rejected with the reason when it is not usable); the
    reader's id (`stem-line`) is the fallback when the record has none."""
    pending = doc.row
    try:
        text = decode_bytes(pending.data)
        check_depth(text)
        row = json.loads(text)
    except (Undecodable, ValueError, RecursionError) as exc:
        return Document(id=doc.id, raw="", provenance=doc.provenance).reject(
            "bad_json", f"line {pending.number} is not a JSON object: {exc}")
    return row_document(row, doc.id, pending.number, doc.provenance, options)


@dataclass(frozen=True)
class DecodeRow:
    """Step 0: records the reader left undecoded become documents; others pass unchanged."""

    options: InputOptions = field(default_factory=InputOptions)
    name: str = "decode_row"

    def __call__(self, doc: Document) -> Document:
        return doc if doc.row is None else decode_row(doc, self.options)
