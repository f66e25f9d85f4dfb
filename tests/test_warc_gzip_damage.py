"""A damaged .warc.gz read member by member (`readers/warc_frames.py`): a failed member is looked
through again for the members it read on into, a record from a member that failed is never
published, one damaged stretch is one report, and false gzip headers cost linear work."""
from __future__ import annotations

import io
import zlib

import newsclean.readers.warc_frames as frames
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newsclean import run
from test_safety_readers import numbered, published, rejects


def record(i: int, extra: bytes = b"") -> bytes:
    """Response `i`, a story of its own, as an uncompressed WARC record with a fixed id."""
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=False)
    body = "".join(f"<p>{p}</p>" for p in numbered(300 + i).split("\n\n")[1:])
    html = f"<html><body><article><h1>Story {i}</h1>{body}<p>Story {i}.</p></article></body></html>"
    writer.write_record(writer.create_warc_record(
        f"https://news.example/{i}", "response", payload=io.BytesIO(html.encode() + extra),
        http_headers=StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1"),
        warc_headers_dict={"WARC-Record-ID": f"<urn:uuid:00000000-0000-4000-8000-{i:012d}>",
                           "WARC-Date": "2024-05-01T12:00:00Z"}))
    return out.getvalue()


def stored_member(data: bytes) -> bytes:
    """A gzip member of stored (uncompressed) deflate blocks: its bytes can be damaged where wanted."""
    packer = zlib.compressobj(0, zlib.DEFLATED, 31)
    return packer.compress(data) + packer.flush()


def frames_of(data: bytes) -> tuple[list[frames.Frame], frames.GzipMembers]:
    source = frames.GzipMembers(io.BytesIO(data), 1 << 30)
    return list(frames.Records(source, 1 << 20)), source


def good_ids(found: list[frames.Frame]) -> list[str]:
    return [f.headers["warc-record-id"][-3:-1] for f in found if f.problem is None]


def test_a_record_whose_member_ends_unchecked_is_quarantined_not_published(tmp_path):
    # The last member's text is damaged in place and the file ends before its CRC: every byte
    # of the record inflates, its closing CRLFs too, but nothing vouches for them.
    last = stored_member(record(3)).replace(b"Story 3.", b"Stony 3.")[:-8]
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "crawl.warc.gz").write_bytes(stored_member(record(1)) + stored_member(record(2)) + last)
    run([folder], tmp_path / "out")
    texts = [row["text"] for row in published(tmp_path / "out").values()]
    assert len(texts) == 2 and not any("Stony" in text for text in texts)
    assert [row["reason"] for row in rejects(tmp_path / "out").values()] == ["damaged_record"]


def test_a_failed_member_is_one_report_though_false_headers_stand_in_it():
    # A payload holding gzip's magic with reserved flags: when its member fails (a damaged CRC)
    # and is looked through again, the false header fails too, inside the same damage.
    middle = bytearray(stored_member(record(2, extra=b"\x1f\x8b\x08\xe0" * 3)))
    middle[-8] ^= 0xFF
    found, source = frames_of(stored_member(record(1)) + bytes(middle) + stored_member(record(3)))
    assert good_ids(found) == ["01", "03"]
    assert len(source.damage) == 1 and "corrupt gzip data" in source.damage[0][1]


def test_false_gzip_headers_cost_work_linear_in_the_file():
    # Each header says a file name follows and no zero byte ends it: each reads to the end of the
    # file. Looking again after every one of them would put back ~n^2/2 bytes (45 MB here).
    data = (b"\x1f\x8b\x08\x08" + b"\x01" * 6) * 3000
    found, source = frames_of(data)
    assert found == [] and len(source.damage) == 1
    assert source.rewound <= 2 * len(data) + frames.MAX_REWIND_BYTES


def test_the_record_after_a_member_that_failed_after_giving_data_is_good(monkeypatch):
    # Small reads: the damaged member gives its record in one call and fails at its CRC in a later one.
    monkeypatch.setattr(frames, "CHUNK", 64)
    middle = bytearray(stored_member(record(2)))
    middle[-8] ^= 0xFF
    found, source = frames_of(stored_member(record(1)) + bytes(middle) + stored_member(record(3)))
    assert good_ids(found) == ["01", "03"]
    assert [f.problem[0] for f in found if f.problem] == ["damaged_record"]


def test_a_member_cut_inside_its_header_loses_only_itself(monkeypatch):
    # It gives part of its header in one call and fails in the next: the next member's record
    # must not be read as the rest of that header and rejected with it.
    monkeypatch.setattr(frames, "CHUNK", 64)
    packer = zlib.compressobj(6, zlib.DEFLATED, 31)
    first = (packer.compress(record(1)) + packer.flush())[:150]
    second = stored_member(record(2))
    found, source = frames_of(first + second + stored_member(record(3)))
    assert good_ids(found) == ["02", "03"]
    assert [f.offset for f in found if f.problem is None] == [len(first), len(first) + len(second)]


def test_a_gzip_header_across_two_reads_is_found(monkeypatch):
    # Junk up to two bytes before a read's end, then the members: the first header's magic
    # straddles the reads.
    monkeypatch.setattr(frames, "CHUNK", 64)
    members = stored_member(record(1)) + stored_member(record(2))
    found, source = frames_of(b"\0" * 62 + members)
    assert good_ids(found) == ["01", "02"]
    assert [what for _, what in source.damage] == ["62 bytes that are not gzip data"]


def test_a_member_that_reads_on_into_the_next_ones_loses_only_itself():
    # The first member's flag byte says an extra field follows: its length runs over the members
    # after it, which are found again from just after the first one's start.
    first = bytearray(stored_member(record(1)))
    first[3] = 0x04
    found, source = frames_of(bytes(first) + stored_member(record(2)) + stored_member(record(3)))
    assert good_ids(found) == ["02", "03"]
    assert len(source.damage) == 1
