"""Cutting a WARC archive into records ourselves, so that damage costs only the damaged record.

warcio trusts each Content-Length: one too large swallows the next record, a truncated record
comes out short as if whole, and after garbage it stops. Here every record must end where its
Content-Length says, with the "\\r\\n\\r\\n" that closes a record; one that does not is reported
with its offset, and reading resumes at the next "WARC/1." (looked for inside the damaged record
too, so a record it swallowed is found again; a false start in a damaged payload is one more
reject, never a lost record). A .warc.gz is inflated gzip member by member: bytes that are no
gzip data are skipped to the next member and reported, and a record's offset is its member's
offset in the file, as WARC indexes (CDX) give it. A damaged member may read on through the
members after it (a header flag damaged into "a file name follows" reads to the next zero byte; a
damaged stream decodes on), so when a member fails the next one is looked for again from just
after its start, not from where it failed. A record with bytes from a member that failed after
giving data is rejected when the failure is known as the record is judged (one byte past each
record is read first): in the usual archive, one record to a member, every such record. In a
member of many records, those judged before the member failed are checked by their framing only.
"""
from __future__ import annotations

import bisect
import zlib
from dataclasses import dataclass
from typing import BinaryIO, Iterator

from .files import CHUNK, LimitExceeded

MAGIC = b"WARC/1."  # where reading resumes: anywhere, so junk glued to a header does not hide it
END = b"\r\n\r\n"  # closes a header block, and a record
GZIP_MAGIC = b"\x1f\x8b\x08"
MAX_HEADER_BYTES = 64 * 1024  # a record's WARC header block; real ones run to ~1 kB
PEEK_BYTES = 8 * 1024  # what is read of a record too large to hold, to tell what it is
MAX_REWIND_BYTES = 16 << 20  # a failed member's compressed bytes kept to look again for members in them


@dataclass
class Frame:
    """One record as cut from the archive: its header block and (when held) its content block, or
    what is wrong with it (`problem`: reason code, detail)."""

    offset: int  # in the file (a .warc.gz: the offset of the record's gzip member)
    position: int  # in the decompressed archive
    headers: dict[str, str]  # WARC header names in lower case
    block: bytes | None = None  # None when too large to hold: `peek` has its first bytes
    peek: bytes = b""
    problem: tuple[str, str] | None = None


def parse_headers(head: bytes) -> dict[str, str]:
    headers = {}
    for line in head.split(b"\r\n")[1:]:
        name, colon, value = line.partition(b":")
        if colon:
            headers[name.strip().decode("latin-1").lower()] = value.strip().decode("utf-8", "replace")
    return headers


class PlainFile:
    """An uncompressed archive: positions are file offsets."""

    def __init__(self, raw: BinaryIO):
        self.read = raw.read
        self.damage: list[tuple[int, str]] = []

    def file_offset(self, position: int) -> int:
        return position

    def broken_within(self, start: int, end: int) -> bool:
        return False


class GzipMembers:
    """The inflated bytes of a .gz file, member by member. `damage` lists (offset, what) of bytes
    that are no gzip data (skipped to the next gzip header) and of members that failed before
    giving anything (once per damaged stretch: up to the next member inflated to its end);
    `broken` the decompressed spans that members gave before they failed."""

    def __init__(self, raw: BinaryIO, limit: int):
        self.raw, self.limit = raw, limit
        self.pending, self.at, self.raw_eof = b"", 0, False  # compressed bytes not yet inflated, their offset
        self.inflater = None
        self.in_damage = False  # a member failed and none has inflated to its end since
        self.read_bytes = self.rewound = 0  # bytes read from the file; bytes put back for a second look
        self.broken: list[tuple[int, int]] = []  # (start, end) decompressed: what failed members gave
        self.member_at = self.member_out = self.total = 0
        self.member_bytes = bytearray()  # the current member's compressed bytes read so far ...
        self.member_bytes_at = 0  # ... from this offset (its start, unless over MAX_REWIND_BYTES)
        self.starts: list[int] = []  # decompressed position of each member's start ...
        self.offsets: list[int] = []  # ... and its offset in the file
        self.damage: list[tuple[int, str]] = []

    def _more(self) -> bool:
        chunk = self.raw.read(CHUNK)
        self.raw_eof = not chunk
        self.read_bytes += len(chunk)
        self.pending += chunk
        return bool(chunk)

    def _skip_junk(self, report: bool = True) -> None:
        start, first = self.at, 1
        while True:
            found = self.pending.find(GZIP_MAGIC, first)
            if found >= 0:
                break
            keep = self.pending[-2:] if len(self.pending) > 2 else self.pending[1:]
            first = 0  # the bytes kept are candidates again: a header may straddle the read
            self.at += len(self.pending) - len(keep)
            self.pending = keep
            if not self._more():
                self.at += len(self.pending)
                self.pending = b""
                found = 0
                break
        self.at += found
        self.pending = self.pending[found:]
        if report:
            self.damage.append((start, f"{self.at - start:,} bytes that are not gzip data"))

    def read(self, size: int) -> bytes:
        while True:
            if self.inflater is None:
                while len(self.pending) < len(GZIP_MAGIC) and not self.raw_eof:
                    self._more()
                if not self.pending:
                    return b""
                if not self.pending.startswith(GZIP_MAGIC):
                    self._skip_junk(report=not self.in_damage)
                    continue
                self.inflater, self.member_at, self.member_out = zlib.decompressobj(31), self.at, 0
                self.member_bytes, self.member_bytes_at = bytearray(), self.at
                self.starts.append(self.total)
                self.offsets.append(self.at)
            if not self.pending and not self._more():
                self._failed("the file ends inside a gzip member, before it gave any data")
                continue
            data = self.pending
            try:
                out = self.inflater.decompress(data, size)
            except zlib.error as exc:
                self._failed(f"corrupt gzip data: {exc}")
                continue
            rest = self.inflater.unused_data if self.inflater.eof else self.inflater.unconsumed_tail
            used = len(data) - len(rest)
            if self.inflater.eof:
                self.inflater, self.member_bytes, self.in_damage = None, bytearray(), False
            else:
                self._keep(data[:used])
            self.at += used
            self.pending = rest
            if out:
                self.total += len(out)
                self.member_out += len(out)
                if self.total > self.limit:
                    raise LimitExceeded("too_large", f"the file decompresses to more than limits."
                                        f"max_decompressed_bytes ({self.limit:,} bytes); the rest is not read")
                return out

    def _keep(self, consumed: bytes) -> None:
        """Hold the member's bytes the inflater took, to look through them again if it fails."""
        self.member_bytes += consumed
        over = len(self.member_bytes) - MAX_REWIND_BYTES
        if over > 0:
            del self.member_bytes[:over]
            self.member_bytes_at += over

    def _failed(self, what: str) -> None:
        """The member cannot be inflated to its end: what it gave is marked broken (its records
        are rejected), or, when it gave nothing, it is reported unless its stretch already is."""
        if self.member_out:
            self.broken.append((self.total - self.member_out, self.total))
        elif not self.in_damage:
            self.damage.append((self.member_at, what))
        self.in_damage = True
        self._rewind()

    def _rewind(self) -> None:
        """Resume the search for a gzip header just after the failed member's start (or as far
        back as is held), its bytes put back before the ones not read yet. Within a budget of
        twice the bytes read: a file of false gzip headers, each reading to the end, would
        otherwise cost time quadratic in its size; past it, the search resumes where it failed."""
        self.inflater = None
        held, skip = self.member_bytes, 1 if self.member_bytes_at == self.member_at else 0
        self.member_bytes = bytearray()
        if len(held) > skip and self.rewound + len(held) <= 2 * self.read_bytes + MAX_REWIND_BYTES:
            self.rewound += len(held)
            held += self.pending
            del held[:skip]
            self.pending, self.at = bytes(held), self.member_bytes_at + skip
        elif self.at == self.member_at and self.pending:  # it failed before taking a byte
            self.pending, self.at = self.pending[1:], self.at + 1

    def broken_within(self, start: int, end: int) -> bool:
        """Whether a member that failed gave any of the decompressed bytes start..end (positions
        only grow: the spans behind `start` are forgotten)."""
        while self.broken and self.broken[0][1] <= start:
            del self.broken[0]
        return any(first < end for first, _ in self.broken)

    def file_offset(self, position: int) -> int:
        i = bisect.bisect_right(self.starts, position) - 1
        if i < 0:
            return 0
        offset = self.offsets[i]
        if i > 1024:  # positions only grow: forget the members behind
            del self.starts[:i], self.offsets[:i]
        return offset


class Records:
    """The frames of an archive read through `source` (PlainFile or GzipMembers); a content block
    over `max_block` bytes is not held (its frame has `peek` and no `block`)."""

    def __init__(self, source, max_block: int):
        self.source, self.max_block = source, max_block
        self.buf = bytearray()
        self.base = 0  # decompressed position of buf[0]
        self.eof = False

    def _fill(self, size: int) -> bool:
        """At least `size` bytes in the buffer, unless the archive ends first (then False)."""
        while len(self.buf) < size and not self.eof:
            chunk = self.source.read(max(CHUNK, size - len(self.buf)))
            if chunk:
                self.buf += chunk
            else:
                self.eof = True
        return len(self.buf) >= size

    def _drop(self, size: int) -> None:
        del self.buf[:size]
        self.base += size

    def _frame(self, start: int, headers: dict[str, str], **fields) -> Frame:
        return Frame(self.source.file_offset(start), start, headers, **fields)

    def _header_end(self) -> int:
        searched = 0
        while True:
            end = self.buf.find(END, max(0, searched - len(END)), MAX_HEADER_BYTES)
            if end >= 0 or len(self.buf) >= MAX_HEADER_BYTES or self.eof:
                return end
            searched = len(self.buf)
            self._fill(len(self.buf) + 1)

    def resync(self, limit: int | None = None) -> int | None:
        """Drop bytes up to the next "WARC/1." (within `limit` bytes, when given);
        its position, or None when there is none."""
        dropped = 0
        while True:
            found = self.buf.find(MAGIC)
            if found >= 0 and (limit is None or dropped + found < limit):
                self._drop(found)
                return self.base
            if limit is not None and dropped + len(self.buf) >= limit + len(MAGIC):
                self._drop(limit - dropped)
                return None
            keep = len(MAGIC) - 1
            if self.eof:
                self._drop(len(self.buf) if limit is None else min(len(self.buf), limit - dropped))
                return None
            if len(self.buf) > keep:
                gone = len(self.buf) - keep
                dropped += gone
                self._drop(gone)
            self._fill(len(self.buf) + 1)

    def __iter__(self) -> Iterator[Frame]:
        while True:
            while self._fill(1) and self.buf[0] in b"\r\n":  # the blank lines between records
                self._drop(1)
            if not self.buf:
                return
            start = self.base
            end = self._header_end()
            if not self.buf.startswith(MAGIC) or end < 0:
                what = "no WARC record starts here" if not self.buf.startswith(MAGIC) else \
                    "the record's header does not end"
                # a file that does not start like a WARC may be none: "unreadable", as any such file
                reason = "unreadable" if start == 0 and not self.buf.startswith(MAGIC) else "damaged_record"
                self._drop(1)
                yield self._frame(start, {}, problem=(reason, f"{what}; the bytes up to the next "
                                                      f"'WARC/1.' were skipped"))
                self.resync()
                continue
            head = bytes(self.buf[:end + len(END)])
            headers = parse_headers(head[:end])
            length = headers.get("content-length", "")
            if not length.isdigit():
                self._drop(1)
                yield self._frame(start, headers, problem=("damaged_record", f"the record's Content-Length "
                                                           f"is not a number: {length[:40]!r}"))
                self.resync()
                continue
            length = int(length)
            self._drop(end + len(END))
            if length > self.max_block:
                yield self._oversized(start, headers, length)
                continue
            # a byte beyond the record: a member failing at its end is known before it is judged
            self._fill(length + len(END) + 1)
            held = bytes(self.buf[:length])
            if len(held) < length:  # the archive ends inside the block
                inner = held.find(MAGIC)
                problem = ("damaged_record", f"its Content-Length ({length:,}) runs into the next record") \
                    if inner >= 0 else ("truncated", f"the archive ends {length - len(held):,} bytes short of "
                                        f"the record's Content-Length ({length:,}): the record is cut short")
                yield self._frame(start, headers, problem=problem)
                self.resync()
                continue
            trailer = bytes(self.buf[length:length + len(END)])
            if trailer != END and not (self.eof and END.startswith(trailer)):
                yield self._frame(start, headers, problem=(
                    "damaged_record", f"the record does not end where its Content-Length ({length:,}) says"))
                self.resync()
                continue
            if self.source.broken_within(start, self.base + length + len(trailer)):
                inner = head.find(MAGIC, 1)  # another record's header read on as this one's
                yield self._frame(start, headers if inner < 0 else parse_headers(head[:inner]), problem=(
                    "damaged_record", "its gzip member is damaged: the record may be cut short or corrupted"))
                self.buf[:0] = head  # a record of an intact member may follow the damaged bytes inside it
                self.base -= len(head)
                self._drop(1)
                self.resync()
                continue
            self._drop(length + len(trailer))
            yield self._frame(start, headers, block=held)

    def _oversized(self, start: int, headers: dict[str, str], length: int) -> Frame:
        """A block too large to hold: its first bytes kept, the rest skipped, stopping early at a
        record header inside it (a Content-Length too large must not swallow what follows)."""
        self._fill(min(length, PEEK_BYTES))
        peek = bytes(self.buf[:min(length, PEEK_BYTES)])
        block_start = self.base
        if self.resync(limit=length) is not None:
            return self._frame(start, headers, peek=peek, problem=(
                "damaged_record", f"its Content-Length ({length:,}) runs into the next record"))
        if self.base - block_start < length:
            return self._frame(start, headers, peek=peek, problem=(
                "truncated", f"the archive ends inside the record's Content-Length ({length:,})"))
        self._fill(len(END) + 1)
        trailer = bytes(self.buf[:len(END)])
        if trailer == END or (self.eof and END.startswith(trailer)):
            self._drop(len(trailer))
            if self.source.broken_within(start, self.base):
                return self._frame(start, headers, peek=peek, problem=(
                    "damaged_record", "its gzip member is damaged: the record may be cut short or corrupted"))
            return self._frame(start, headers, peek=peek)
        self.resync()
        return self._frame(start, headers, peek=peek, problem=(
            "damaged_record", f"the record does not end where its Content-Length ({length:,}) says"))
