"""WARC archives through `run`, built with warcio itself: records, ids, fetch dates, damage."""
from __future__ import annotations

import io
from datetime import datetime

import pyarrow.parquet as pq
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newsclean import run

STORIES = {
    "https://news.example/a": ("Harbour ferry returns after winter break",
                               "The harbour ferry made its first crossing of the year on Monday, carrying commuters "
                               "and a handful of tourists across the bay in calm weather.\n"
                               "Operators said the service would run every half hour until October, with extra "
                               "sailings on weekends when the summer timetable begins."),
    "https://news.example/b": ("Library extends opening hours for exam season",
                               "The central library will stay open until midnight for the next four weeks so that "
                               "students preparing for exams have a quiet place to work.\n"
                               "Staff volunteered for the late shifts, the head librarian said, and the city agreed "
                               "to pay for extra security at the entrance."),
}


def page(title: str, body: str, extra: str = "") -> bytes:
    paragraphs = "".join(f"<p>{p}</p>" for p in body.split("\n"))
    return (f"<html><head><title>{title}</title><meta name='author' content='Sam Reporter'></head><body>"
            f"<article><h1>{title}</h1>{paragraphs}{extra}</article></body></html>").encode("utf-8")


def write_warc(path, gzipped: bool = True, relative_date: bool = False) -> dict[str, str]:
    """Two article responses, a request, an image and a 404 page; returns {url: record id}."""
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=gzipped)
    ids = {}
    for url, (title, body) in STORIES.items():
        writer.write_record(writer.create_warc_record(
            url, "request", payload=io.BytesIO(b"GET / HTTP/1.1\r\n\r\n"),
            warc_headers_dict={"WARC-Date": "2024-05-01T12:00:00Z"}))
        extra = "<p class='date'>Posted 3 hours ago</p>" if relative_date else ""
        record = writer.create_warc_record(
            url, "response", payload=io.BytesIO(page(title, body, extra)),
            http_headers=StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")],
                                          protocol="HTTP/1.1"),
            warc_headers_dict={"WARC-Date": "2024-05-01T12:00:00Z"})
        ids[url] = record.rec_headers.get_header("WARC-Record-ID")
        writer.write_record(record)
    writer.write_record(writer.create_warc_record(
        "https://news.example/logo.png", "response", payload=io.BytesIO(b"\x89PNG\r\n\x1a\n" + bytes(200)),
        http_headers=StatusAndHeaders("200 OK", [("Content-Type", "image/png")], protocol="HTTP/1.1")))
    writer.write_record(writer.create_warc_record(
        "https://news.example/gone", "response", payload=io.BytesIO(page("Not found", STORIES["https://news.example/a"][1])),
        http_headers=StatusAndHeaders("404 Not Found", [("Content-Type", "text/html")], protocol="HTTP/1.1")))
    path.write_bytes(out.getvalue())
    return ids


def test_warc_responses_publish_with_record_id_url_and_fetch_date(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    ids = write_warc(folder / "crawl.warc.gz")
    summary = run([folder], tmp_path / "out")

    rows = {row["url"]: row for row in pq.read_table(tmp_path / "out" / "data").to_pylist()}
    assert set(rows) == set(STORIES)  # request, image and 404 records are not documents
    for url, (title, body) in STORIES.items():
        row = rows[url]
        uuid = ids[url].strip("<>").removeprefix("urn:uuid:")
        assert row["id"] == uuid
        assert row["title"] == title and row["author"] == "Sam Reporter"
        assert row["text"] == body.replace("\n", "\n\n")
        assert row["fetched"] == datetime(2024, 5, 1, 12, 0)
        assert row["source"] == "news.example"
        assert row["provenance"].startswith("crawl.warc.gz@") or "crawl.warc.gz@" in row["provenance"]
    assert summary.rejected == 0


def test_uncompressed_warc_and_relative_dates_resolved_against_the_fetch_date(tmp_path):
    write_warc(tmp_path / "crawl.warc", gzipped=False, relative_date=True)
    run([tmp_path / "crawl.warc"], tmp_path / "out")
    rows = pq.read_table(tmp_path / "out" / "data").to_pylist()
    assert len(rows) == 2
    for row in rows:
        assert row["published"] == datetime(2024, 5, 1, 9, 0)  # "3 hours ago" at the fetch time
        assert "ago" not in row["text"]


def test_damaged_warc_keeps_the_records_before_the_damage_and_quarantines_the_rest(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    write_warc(tmp_path / "whole.warc.gz")
    data = (tmp_path / "whole.warc.gz").read_bytes()
    members = data.split(b"\x1f\x8b\x08")  # each record is its own gzip member
    first_two = b"\x1f\x8b\x08".join(members[:3])  # request + first response
    (folder / "damaged.warc.gz").write_bytes(first_two + b"\x1f\x8b\x08" + b"\x00" * 40 + b"not gzip" * 20)
    (folder / "garbage.warc").write_bytes(b"this is not a WARC file at all\n" * 10)
    (folder / "note.txt").write_text("A note of its own\nThis note is a document of its own, published "
                                     "beside the archives whatever happens to them.\n")
    summary = run([folder], tmp_path / "out")

    rows = pq.read_table(tmp_path / "out" / "data").to_pylist()
    assert sorted(row["url"] or "" for row in rows) == ["", "https://news.example/a"]
    rejects = pq.read_table(tmp_path / "out" / "rejects").to_pylist()
    reasons = {row["provenance"].split("@")[0].rsplit("/", 1)[-1]: row["reason"] for row in rejects}
    assert reasons == {"damaged.warc.gz": "damaged_record", "garbage.warc": "unreadable"}  # a bad gzip member
    assert summary.published == 2
