"""Bytes to text: BOM, then UTF-8, then a declared charset, then detection; never a silent mangle.

Bytes that are UTF-8 but for a few invalid ones are UTF-8 with those replaced by U+FFFD (the
text repair then removes the lines holding them, recorded): a detector shown three stray bytes
in a UTF-8 article picks a code page that turns every "»" into "¬Ľ".

Detection prefers windows-1252 when it fits as well as any other single-byte code page:
charset_normalizer scores cp1252, cp1250 and cp1257 equal on French or Spanish text and picks
the first, which turns "à" into "ŕ". Web pages labelled latin-1 are windows-1252 (WHATWG).
"""
from __future__ import annotations

import codecs
import re

BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))
# Labels browsers read as windows-1252 (WHATWG Encoding Standard).
WINDOWS_1252_LABELS = {"latin1", "latin_1", "iso8859_1", "iso_8859_1", "l1", "ascii", "us_ascii",
                       "cp1252", "windows_1252", "cp819", "iso_ir_100"}
META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
SNIFF_BYTES = 4096
# Two candidate decodings whose chaos / coherence scores differ by less than this are a tie.
DETECTION_TIE = 0.01
# In UTF-16 without a BOM, ASCII letters put a NUL in every other byte: this share of the
# odd (or even) bytes being NUL, and few of the others, tells the byte order.
UTF16_NUL_SHARE = 0.3
MAX_CONTROL_CHARS = 40  # in the first 4096 characters; more means binary read as text


class Undecodable(ValueError):
    """The bytes are not text in any encoding we can tell; `reason` is a rejection code."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason


def _codec(label: str | None) -> str | None:
    """Python's codec name for a charset label, windows-1252 for its aliases; None if unknown."""
    if not label:
        return None
    try:
        name = codecs.lookup(label.strip().strip("\"'")).name
    except LookupError:
        return None
    return "cp1252" if name.replace("-", "_") in WINDOWS_1252_LABELS else name


def _check_text(text: str, encoding: str) -> str:
    head = text[:SNIFF_BYTES]
    if "\x00" in head or sum(not (c.isprintable() or c.isspace()) for c in head) > MAX_CONTROL_CHARS:
        raise Undecodable("binary", f"decoding as {encoding} gives control characters: not text")
    return text


def _utf16_without_bom(data: bytes) -> str | None:
    sample = data[:SNIFF_BYTES]
    even, odd = sample[0::2], sample[1::2]
    if not odd:
        return None
    even_nul, odd_nul = even.count(0) / len(even), odd.count(0) / len(odd)
    if odd_nul >= UTF16_NUL_SHARE and even_nul < UTF16_NUL_SHARE / 10:
        encoding = "utf-16-le"
    elif even_nul >= UTF16_NUL_SHARE and odd_nul < UTF16_NUL_SHARE / 10:
        encoding = "utf-16-be"
    else:
        return None
    try:
        return _check_text(data.decode(encoding), encoding)
    except (UnicodeDecodeError, Undecodable):
        return None


def _detect(data: bytes) -> str:
    from charset_normalizer import from_bytes

    # UTF-16/32 without a BOM was ruled out above; charset_normalizer offers it for short Latin text
    candidates = [r for r in from_bytes(data, cp_isolation=None)
                  if r.encoding and not r.encoding.startswith(("utf_16", "utf_32"))]
    if not candidates:
        raise Undecodable("undecodable", "the input is not UTF-8 and no text encoding fits it")
    best = candidates[0]
    try:
        western = data.decode("cp1252")
    except UnicodeDecodeError:
        western = None
    if western is not None:
        # charset_normalizer lists one of several code pages that decode alike (cp1250 for "café")
        for result in candidates:
            if result.chaos <= best.chaos + DETECTION_TIE and result.coherence >= best.coherence - DETECTION_TIE \
                    and (result.encoding == "cp1252" or str(result) == western):
                return _check_text(western, "cp1252")
    return _check_text(str(best), best.encoding)


def _mostly_utf8(data: bytes) -> str | None:
    """`data` as UTF-8 with its invalid bytes replaced, when its valid non-ASCII characters are
    at least as many as its invalid sequences: text in a legacy code page is almost never valid
    UTF-8 (its accented letters stand alone, where UTF-8 needs a lead byte and continuations)."""
    text = data.decode("utf-8", "replace")
    replaced = text.count("\ufffd") - data.count("\ufffd".encode())
    if not replaced:
        return None
    valid = len(text) - len(text.encode("ascii", "ignore")) - text.count("\ufffd")
    return text if valid >= replaced else None


def decode_bytes(data: bytes, declared: str | None = None) -> str:
    """Text of `data`; `declared` is a charset the container states (HTTP header, meta tag).

    Bytes that are valid UTF-8 are UTF-8 whatever the page claims (other text almost never
    is), and so are bytes that are mostly so; otherwise a declared charset is used when the
    bytes decode under it, else detection.
    """
    if not data.strip():
        raise Undecodable("empty", "the input is empty")
    for bom, encoding in BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise Undecodable("undecodable", f"starts with a {encoding} byte-order mark "
                                  f"but is not {encoding}: {exc.reason}") from None
    if b"\x00" in data[:SNIFF_BYTES]:
        text = _utf16_without_bom(data)
        if text is not None:
            return text
        raise Undecodable("binary", "the input holds NUL bytes: it is binary, not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    text = _mostly_utf8(data)
    if text is not None:
        return _check_text(text, "utf-8")
    encoding = _codec(declared)
    if encoding is not None:
        try:
            return _check_text(data.decode(encoding), encoding)
        except (UnicodeDecodeError, Undecodable):
            pass
    return _detect(data)


def declared_charset(data: bytes, content_type: str | None = None) -> str | None:
    """The charset an HTTP Content-Type header or the page's own <meta> tag declares."""
    if content_type:
        found = re.search(r"charset\s*=\s*[\"']?([^\s;\"']+)", content_type, re.IGNORECASE)
        if found:
            return found.group(1)
    found = META_CHARSET.search(data[:SNIFF_BYTES])
    return found.group(1).decode("ascii", "replace") if found else None
