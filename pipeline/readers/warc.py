"""WARC archives (.warc, .warc.gz): each response record with an HTML payload is one document.

warcio, not fastwarc: extraction (~0.1-1 s a page) dwarfs record parsing, so fastwarc's speed
buys nothing here, while warcio is pure Python (no compiled wheel to match), decodes chunked and
gzip/deflate-encoded payloads itself, and writes WARCs too (the tests build theirs with it).

id: the WARC-Record-ID's UUID (a safe string); url: WARC-Target-URI; the fetch time (WARC-Date,
UTC) goes to extra["fetched"] and, as given["fetched"], dates "3 hours ago" in the text.
"""
from __future__ import annotations

import logging
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from ..document import Document
from ..options import InputOptions
from .decode import Undecodable, declared_charset, decode_bytes
from .files import READ_ERRORS, file_stem, open_input

log = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml+xml")
UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
MAX_ID_CHARS = 200
MAX_DETAIL_CHARS = 120  # warcio quotes the damaged bytes in its message
WARC_MAGIC = b"WARC/"


def record_id(value: str | None, fallback: str) -> str:
    """'<urn:uuid:6F1C...>' -> '6f1c...'; other ids made of letters, digits, '.', '_', '-'."""
    text = (value or "").strip().strip("<>")
    text = re.sub(r"^urn:uuid:", "", text, flags=re.IGNORECASE)
    if re.fullmatch(r"[0-9a-fA-F-]{36}", text):
        return text.lower()
    return UNSAFE.sub("_", text).strip("_")[:MAX_ID_CHARS] or fallback


def warc_date(value: str | None) -> datetime | None:
    """WARC-Date ('2024-05-01T12:00:00Z') as a naive UTC datetime."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed


def _is_html_response(record) -> bool:
    if record.rec_type != "response" or record.http_headers is None:
        return False
    status = record.http_headers.get_statuscode() or ""
    content_type = (record.http_headers.get_header("Content-Type") or "").lower()
    return status.startswith("2") and content_type.startswith(HTML_TYPES)


def _payload(record) -> bytes | Exception:
    try:
        return record.content_stream().read()
    except (ArchiveLoadFailed, *READ_ERRORS) as exc:
        return exc


def _document(record, payload: bytes | Exception, offset: int, stem: str, provenance: str) -> Document:
    headers = record.rec_headers
    doc = Document(id=record_id(headers.get_header("WARC-Record-ID"), f"{stem}-{offset}"), raw="",
                   provenance=f"{provenance}@{offset}")
    url = headers.get_header("WARC-Target-URI")
    if url:
        doc.given["url"] = url.strip().strip("<>")
    fetched = warc_date(headers.get_header("WARC-Date"))
    if fetched is not None:
        doc.given["fetched"] = doc.extra["fetched"] = fetched
    if isinstance(payload, Exception):
        return doc.reject("unreadable", f"the record's payload cannot be read: {payload}")
    try:
        content_type = record.http_headers.get_header("Content-Type")
        doc.html = decode_bytes(payload, declared_charset(payload, content_type))
    except Undecodable as exc:
        doc.reject(exc.reason, f"the record's payload: {exc}")
    return doc


def _starts_like_warc(path: Path) -> bool:
    """warcio skips junk with a warning and yields nothing; a file that is no WARC must say so."""
    with open_input(path) as handle:
        return handle.read(len(WARC_MAGIC)) == WARC_MAGIC


def read_warc(path: Path, provenance: str, options: InputOptions) -> Iterator[Document]:
    stem = file_stem(path)
    offset, skipped = 0, 0
    try:
        if not _starts_like_warc(path):
            yield Document(id=stem, raw="", provenance=provenance).reject(
                "unreadable", "not a WARC archive: it does not start with a 'WARC/1.x' record")
            return
        with path.open("rb") as handle:
            records = ArchiveIterator(handle)
            for record in records:
                if not _is_html_response(record):
                    skipped += 1
                    offset = records.get_record_offset()
                    continue
                payload = _payload(record)  # before the offset: asking for it reads the record to its end
                offset = records.get_record_offset()
                yield _document(record, payload, offset, stem, provenance)
    except (ArchiveLoadFailed, *READ_ERRORS) as exc:
        # the records before the damage were read; the rest of the archive is one reject
        yield Document(id=f"{stem}-{offset}", raw="", provenance=f"{provenance}@{offset}").reject(
            "unreadable", f"the WARC archive is damaged after byte {offset}: {str(exc)[:MAX_DETAIL_CHARS]!r}")
    if skipped:
        log.info("%s: %d records skipped (not a 2xx HTML response)", provenance, skipped)
