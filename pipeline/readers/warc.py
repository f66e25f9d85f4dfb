"""WARC archives (.warc, .warc.gz): each response record with an HTML payload is one document.

warcio, not fastwarc: extraction (~0.1-1 s a page) dwarfs record parsing, so fastwarc's speed
buys nothing here, while warcio is pure Python (no compiled wheel to match), decodes chunked and
gzip/deflate-encoded payloads itself, and writes WARCs too (the tests build theirs with it).

id: the WARC-Record-ID's UUID (a safe string); url: WARC-Target-URI; the fetch time (WARC-Date,
UTC) goes to extra["fetched"] and, as given["fetched"], dates "3 hours ago" in the text.

The archive is cut into records by warc_frames (which checks each Content-Length and resumes
after damage); warcio parses each record's HTTP response. A damaged, truncated or oversized
record is quarantined with its offset, and the records around it are read.
"""
from __future__ import annotations

import io
import logging
import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from ..document import Document
from ..options import InputOptions, LimitsOptions
from .decode import Undecodable, declared_charset, decode_bytes
from .files import READ_ERRORS, LimitExceeded, file_stem
from .warc_frames import MAX_HEADER_BYTES, Frame, GzipMembers, PlainFile, Records

log = logging.getLogger(__name__)

HTML_TYPES = ("text/html", "application/xhtml+xml")
UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
MAX_ID_CHARS = 200
MAX_DETAIL_CHARS = 120  # warcio quotes the damaged bytes in its message
HTTP_OK = re.compile(rb"HTTP/1\.[01] 2\d\d")
HTML_CONTENT_TYPE = re.compile(rb"\r\ncontent-type:[ \t]*(?:text/html|application/xhtml\+xml)", re.IGNORECASE)


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


def _payload(record, limits: LimitsOptions) -> bytes | Exception:
    try:
        payload = record.content_stream().read(limits.max_document_bytes + 1)
    except (ArchiveLoadFailed, *READ_ERRORS, ValueError) as exc:
        return exc
    if len(payload) > limits.max_document_bytes:
        return LimitExceeded("too_large", f"the page is over limits.max_document_bytes "
                             f"({limits.max_document_bytes:,} bytes)")
    return payload


def _http_record(block: bytes):
    """warcio's record for one content block of a response (warcio decodes chunked and
    gzip-encoded payloads); the WARC headers that matter were read already."""
    head = (b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: http://record.invalid/\r\n"
            b"Content-Type: application/http; msgtype=response\r\n"
            b"Content-Length: " + str(len(block)).encode() + b"\r\n\r\n")
    return next(iter(ArchiveIterator(io.BytesIO(head + block + b"\r\n\r\n"))))


def _looks_like_page(peek: bytes) -> bool:
    """The first bytes of a block too large to hold are those of a 2xx HTML response."""
    head = peek.split(b"\r\n\r\n", 1)[0]
    return bool(HTTP_OK.match(head)) and HTML_CONTENT_TYPE.search(head) is not None


def _document(frame: Frame, stem: str, provenance: str, limits: LimitsOptions) -> Document | None:
    """The frame's document (rejected when damaged), or None for a record that is no page."""
    headers = frame.headers
    doc = Document(id=record_id(headers.get("warc-record-id"), f"{stem}-{frame.offset}"), raw="",
                   provenance=f"{provenance}@{frame.offset}")
    url = headers.get("warc-target-uri")
    if url:
        doc.given["url"] = url.strip().strip("<>")
    fetched = warc_date(headers.get("warc-date"))
    if fetched is not None:
        doc.given["fetched"] = doc.extra["fetched"] = fetched
    where = f" (byte {frame.position:,} of the decompressed archive)" if frame.position != frame.offset else ""
    if frame.problem is not None:
        reason, detail = frame.problem
        return doc.reject(reason, f"WARC record at byte {frame.offset:,}{where}: {detail}")
    if headers.get("warc-type", "").lower() != "response":
        return None
    if frame.block is None:
        if not _looks_like_page(frame.peek):
            return None
        return doc.reject("too_large", f"the record is over limits.max_document_bytes "
                                       f"({limits.max_document_bytes:,} bytes)")
    try:
        record = _http_record(frame.block)
    except (ArchiveLoadFailed, *READ_ERRORS, ValueError, StopIteration) as exc:
        return doc.reject("unreadable", f"the record's HTTP response cannot be read: {str(exc)[:MAX_DETAIL_CHARS]!r}")
    if not _is_html_response(record):
        return None
    payload = _payload(record, limits)
    if isinstance(payload, LimitExceeded):
        return doc.reject(payload.reason, str(payload))
    if isinstance(payload, Exception):
        return doc.reject("unreadable", f"the record's payload cannot be read: {str(payload)[:MAX_DETAIL_CHARS]}")
    try:
        content_type = record.http_headers.get_header("Content-Type")
        doc.html = decode_bytes(payload, declared_charset(payload, content_type))
    except Undecodable as exc:
        doc.reject(exc.reason, f"the record's payload: {exc}")
    return doc


def _damage(source, stem: str, provenance: str) -> Iterator[Document]:
    """Rejects for the stretches of a .warc.gz that are no gzip data: records may have been there."""
    while source.damage:
        offset, what = source.damage.pop(0)
        yield Document(id=f"{stem}-{offset}", raw="", provenance=f"{provenance}@{offset}").reject(
            "damaged_record", f"bytes at {offset:,} cannot be read: {what}; any record there is lost")


def read_warc(path: Path, provenance: str, options: InputOptions,
              limits: LimitsOptions = LimitsOptions()) -> Iterator[Document]:
    stem = file_stem(path)
    offset, skipped, source = 0, 0, None
    try:
        with path.open("rb") as raw:
            gzipped = path.name.lower().endswith(".gz")
            source = GzipMembers(raw, limits.max_decompressed_bytes) if gzipped else PlainFile(raw)
            for frame in Records(source, limits.max_document_bytes + MAX_HEADER_BYTES):
                offset = frame.offset
                yield from _damage(source, stem, provenance)
                doc = _document(frame, stem, provenance, limits)
                if doc is None:
                    skipped += 1
                else:
                    yield doc
            yield from _damage(source, stem, provenance)
    except (LimitExceeded, *READ_ERRORS) as exc:
        # the records before were read; the rest of the archive is one reject
        if source is not None:
            yield from _damage(source, stem, provenance)
        reason = exc.reason if isinstance(exc, LimitExceeded) else "unreadable"
        yield Document(id=f"{stem}-after-{offset}", raw="", provenance=f"{provenance}@{offset}+").reject(
            reason, f"the WARC archive cannot be read after the record at byte {offset:,}: "
                    f"{str(exc)[:MAX_DETAIL_CHARS]!r}")
    if skipped:
        log.info("%s: %d records skipped (not a 2xx HTML response)", provenance, skipped)
