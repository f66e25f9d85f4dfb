"""One row of a table-like input (a JSONL object, a Parquet row) to a Document.

Which field holds the text, the HTML, the id, url, title, date and author is configured in
InputOptions; a row with HTML goes through HTML extraction, and its own fields win over the page's.
Every string the row gives is made writable as UTF-8 first (a JSON "\ud800" is a lone surrogate),
and the text or page is held to [limits].
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ..document import Document
from ..options import InputOptions, LimitsOptions
from .decode import Undecodable, declared_charset, decode_bytes
from .files import LimitExceeded, check_document_bytes, check_lines, valid_text

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


def _valid(value: Any) -> Any:
    """The value with every string in it free of lone surrogates (JSON nests at most 200 deep)."""
    if isinstance(value, str):
        return valid_text(value)
    if isinstance(value, list):
        return [_valid(v) for v in value]
    if isinstance(value, dict):
        return {_valid(k): _valid(v) for k, v in value.items()}
    return value


def _check_size(value: Any, limits: LimitsOptions) -> None:
    if isinstance(value, (str, bytes)) and len(value) > limits.max_document_bytes // 4:
        check_document_bytes(len(value.encode("utf-8")) if isinstance(value, str) else len(value), limits)


def _html_of(value: Any) -> str | None:
    if isinstance(value, bytes):
        return decode_bytes(value, declared_charset(value))
    return value if isinstance(value, str) and value.strip() else None


def row_document(row: object, doc_id: str, number: int, provenance: str,
                 options: InputOptions, limits: LimitsOptions = LimitsOptions()) -> Document:
    """A document from one decoded row (rejected with the reason when it is not usable);
    `doc_id` is the id when the row has none."""
    doc = Document(id=doc_id, raw="", provenance=provenance)
    if not isinstance(row, dict):
        return doc.reject("bad_row", f"row {number} is not an object with named fields")
    row = {key: _valid(row[key]) for key in fields_of(options) if key in row}
    if row.get(options.id) not in (None, ""):
        doc.id = valid_text(str(row[options.id]))
    try:
        _check_size(row.get(options.html), limits)
        doc.html = _html_of(row.get(options.html))
    except (Undecodable, LimitExceeded) as exc:
        return doc.reject(exc.reason, f"row {number}, field {options.html!r}: {exc}")
    text = row.get(options.text)
    if doc.html is None:
        if not isinstance(text, str) or not text.strip():
            return doc.reject("empty", f"row {number} has no non-empty text field {options.text!r} "
                              f"nor html field {options.html!r}")
        try:
            _check_size(text, limits)
            check_lines(text, limits)
        except LimitExceeded as exc:
            return doc.reject(exc.reason, f"row {number}, field {options.text!r}: {exc}")
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
