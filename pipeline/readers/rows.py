"""One row of a table-like input (a JSONL object, a Parquet row) to a Document.

Which field holds the text, the HTML, the id, url, title, date and author is configured in
InputOptions; a row with HTML goes through HTML extraction, and its own fields win over the page's.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ..document import Document
from ..options import InputOptions
from .decode import Undecodable, declared_charset, decode_bytes

GIVEN_FIELDS = ("url", "title", "published", "author")


def _given_value(value: Any) -> Any:
    """A field value as the metadata step takes it: a datetime, or a string."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, (list, tuple)):  # e.g. authors as a list of names
        return ", ".join(str(v).strip() for v in value if v not in (None, ""))
    return str(value).strip()


def _html_of(value: Any) -> str | None:
    if isinstance(value, bytes):
        return decode_bytes(value, declared_charset(value))
    return value if isinstance(value, str) and value.strip() else None


def row_document(row: object, doc_id: str, number: int, provenance: str,
                 options: InputOptions) -> Document:
    """A document from one decoded row (rejected with the reason when it is not usable);
    `doc_id` is the id when the row has none."""
    doc = Document(id=doc_id, raw="", provenance=provenance)
    if not isinstance(row, dict):
        return doc.reject("bad_row", f"row {number} is not an object with named fields")
    if row.get(options.id) not in (None, ""):
        doc.id = str(row[options.id])
    try:
        doc.html = _html_of(row.get(options.html))
    except Undecodable as exc:
        return doc.reject(exc.reason, f"row {number}, field {options.html!r}: {exc}")
    text = row.get(options.text)
    if doc.html is None:
        if not isinstance(text, str) or not text.strip():
            return doc.reject("empty", f"row {number} has no non-empty text field {options.text!r} "
                              f"nor html field {options.html!r}")
        doc.raw = text
    for key in GIVEN_FIELDS:
        value = row.get(getattr(options, key))
        if value not in (None, "", [], ()):
            value = _given_value(value)
            if value != "":
                doc.given[key] = value
    return doc


def fields_of(options: InputOptions) -> list[str]:
    """The input field names the options read, without repeats."""
    names = [options.text, options.html, options.id, *(getattr(options, key) for key in GIVEN_FIELDS)]
    return list(dict.fromkeys(names))
