"""JSON Lines: one object per line with `text` and optionally id, url, title, published, author."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

from ..document import Document
from .decode import Undecodable, decode_bytes

GIVEN_FIELDS = ("url", "title", "published", "author")


def row_document(row: object, stem: str, number: int, provenance: str) -> Document:
    """A document from one decoded JSON row (rejected with the reason when it is not usable)."""
    doc = Document(id=f"{stem}-{number}", raw="", provenance=provenance)
    if not isinstance(row, dict):
        return doc.reject("bad_row", f"line {number} is JSON but not an object")
    if row.get("id") not in (None, ""):
        doc.id = str(row["id"])
    text = row.get("text")
    if not isinstance(text, str) or not text.strip():
        return doc.reject("empty", f"line {number} has no non-empty string field 'text'")
    doc.raw = text
    doc.given = {key: row[key] for key in GIVEN_FIELDS if row.get(key) not in (None, "")}
    return doc


def read_jsonl(path: Path, provenance: str) -> Iterator[Document]:
    stem = path.name.split(".")[0]
    try:
        handle = path.open("rb")
    except OSError as exc:
        yield Document(id=stem, raw="", provenance=provenance).reject(
            "unreadable", f"cannot read the file: {exc.strerror or exc}")
        return
    with handle:
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
            yield row_document(row, stem, number, where)
