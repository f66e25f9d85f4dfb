"""Bytes to text: UTF-8 first, then a BOM, then charset detection; never a silent mangle."""
from __future__ import annotations

import codecs

BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
        (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


class Undecodable(ValueError):
    """The bytes are not text in any encoding we can tell; `reason` is a rejection code."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason


def decode_bytes(data: bytes) -> str:
    if not data.strip():
        raise Undecodable("empty", "the input is empty")
    for bom, encoding in BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError as exc:
                raise Undecodable("undecodable", f"starts with a {encoding} byte-order mark "
                                  f"but is not {encoding}: {exc.reason}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if b"\x00" in data[:4096]:
        raise Undecodable("binary", "the input holds NUL bytes: it is binary, not text")
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=None).best()
    if best is None or best.encoding is None:
        raise Undecodable("undecodable", "the input is not UTF-8 and no text encoding fits it")
    text = str(best)
    if "\x00" in text or sum(not (c.isprintable() or c.isspace()) for c in text[:4096]) > 40:
        raise Undecodable("binary", f"decoding as {best.encoding} gives control characters: not text")
    return text
