"""HTML pages through `run`: extraction, metadata, limits, and one article in three formats."""
from __future__ import annotations

import gzip
import io
from datetime import datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from newsclean import run
from newsclean.options import ExtractOptions, Options

TITLE = "City council approves new riverside park after two-year debate"
PARAGRAPHS = [
    "The city council voted seven to two on Tuesday night to turn the old freight yard along the river "
    "into a public park, ending a debate that has divided neighbours for more than two years.",
    "Supporters packed the chamber and cheered when the result was read out, while opponents warned that "
    "the cost of cleaning the contaminated soil could climb well beyond the current estimate.",
    "The plan includes a playground, a boat launch and a walking path that links the park to the existing "
    "trail network on the east bank, according to documents released by the planning office.",
    "Construction is expected to begin next spring and to last about eighteen months, the mayor said, "
    "adding that the city would apply for state grants to cover part of the bill.",
]
OTHER_TITLE = "Storm closes the old bridge for a week of repairs"
OTHER = [
    "Engineers closed the old stone bridge on Friday after the storm washed away part of the embankment "
    "that carries the road over the water on the northern side.",
    "Drivers will have to take the ring road until the repairs are finished, which the county expects to "
    "take about a week if the weather allows crews to work through the weekend.",
]
RELATED = "Also read: Council budget talks stall over transit funding"


def article_html(title: str = TITLE, paragraphs: list[str] = PARAGRAPHS, charset: str = "utf-8") -> str:
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs[:2]) + f"\n<p>{RELATED}</p>\n" + \
        "\n".join(f"<p>{p}</p>" for p in paragraphs[2:])
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="{charset}">
<title>{title} | Riverside Gazette</title>
<meta property="og:title" content="{title}">
<meta property="og:site_name" content="Riverside Gazette">
<meta name="author" content="Jane Doe">
<meta name="description" content="The council voted to build a park on the old freight yard.">
<meta property="article:published_time" content="2024-03-05T09:30:00+00:00">
<meta property="article:tag" content="Parks">
<meta property="article:section" content="Local">
</head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/local">Local</a></li><li><a href="/sport">Sport</a></li></ul></nav>
<article>
<h1>{title}</h1>
<p class="byline">By Jane Doe</p>
<time datetime="2024-03-05">March 5, 2024</time>
{body}
</article>
<aside><h3>Most read</h3><ul><li><a href="/a">Storm closes bridge</a></li><li><a href="/b">School wins prize</a></li></ul></aside>
<footer><p>© 2024 Riverside Gazette. All rights reserved.</p></footer>
</body></html>"""


def article_txt() -> str:
    lines = [TITLE, "By Jane Doe", "March 5, 2024", PARAGRAPHS[0], PARAGRAPHS[1], RELATED, *PARAGRAPHS[2:]]
    return "\n".join(lines) + "\n"


def warc_bytes(records: list[tuple[str, str, bytes, str]], gzipped: bool = True) -> bytes:
    """A WARC written by warcio: (url, WARC-Date, payload, content type) response records."""
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=gzipped)
    for url, date, payload, content_type in records:
        headers = StatusAndHeaders("200 OK", [("Content-Type", content_type)], protocol="HTTP/1.1")
        record = writer.create_warc_record(url, "response", payload=io.BytesIO(payload),
                                           http_headers=headers, warc_headers_dict={"WARC-Date": date})
        writer.write_record(record)
    return out.getvalue()


def published(out: Path) -> dict[str, dict]:
    return {row["id"]: row for row in pq.read_table(out / "data").to_pylist()}


def rejects(out: Path) -> dict[str, dict]:
    return {row["id"]: row for row in pq.read_table(out / "rejects").to_pylist()}


def test_html_pages_publish_with_page_metadata_and_broken_pages_are_quarantined(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "park.html").write_text(article_html(), encoding="utf-8")
    (folder / "bridge.htm.gz").write_bytes(gzip.compress(
        article_html(title=OTHER_TITLE, paragraphs=OTHER).encode("utf-8")))
    (folder / "binary.html").write_bytes(bytes(range(256)) * 8)
    (folder / "corrupt.html.gz").write_bytes(b"\x1f\x8b\x08\x00garbage, not deflate data" * 4)
    (folder / "empty-template.html").write_text(
        "<html><head><title>Loading</title></head><body><div id='app'></div></body></html>")
    summary = run([folder], tmp_path / "out")

    rows = published(tmp_path / "out")
    assert set(rows) == {"park", "bridge"}
    park = rows["park"]
    assert park["title"] == TITLE
    assert park["author"] == "Jane Doe"
    # the day htmldate finds, with the time and zone the page declares for it (wall clock + offset)
    assert park["published"] == datetime(2024, 3, 5, 9, 30) and park["published_utc_offset"] == "+00:00"
    assert park["sitename"] == "Riverside Gazette"
    assert park["description"] == "The council voted to build a park on the old freight yard."
    assert "Parks" in park["tags"] and "Local" in park["tags"]
    assert park["fetched"] is None
    assert park["text"].split("\n\n") == PARAGRAPHS  # title, byline, related link, chrome: gone
    assert rows["bridge"]["provenance"].endswith("bridge.htm.gz")
    assert rows["bridge"]["title"] == OTHER_TITLE and rows["bridge"]["text"].split("\n\n") == OTHER

    bad = rejects(tmp_path / "out")
    assert bad["binary"]["reason"] == "binary"
    assert bad["corrupt"]["reason"] == "unreadable"
    assert bad["empty-template"]["reason"] == "html_no_text"
    assert summary.published == 2 and summary.rejected == 3


def test_same_article_as_txt_html_and_warc_gives_same_text_and_metadata(tmp_path):
    url = "https://gazette.example/2024/03/05/riverside-park"
    inputs = {
        "as-text.txt": article_txt().encode("utf-8"),
        "as-page.html": article_html().encode("utf-8"),
        "crawl.warc.gz": warc_bytes([(url, "2024-03-06T08:00:00Z", article_html().encode("utf-8"),
                                      "text/html; charset=utf-8")]),
    }
    rows = []
    for name, data in inputs.items():  # one run each: the corpus keeps one copy of a text
        (tmp_path / name).write_bytes(data)
        run([tmp_path / name], tmp_path / f"out-{name}")
        (row,) = published(tmp_path / f"out-{name}").values()
        rows.append(row)
    text_row, page_row, warc_row = rows
    for row in (page_row, warc_row):
        for column in ("text", "title", "author", "authors", "word_count", "content_hash"):
            assert row[column] == text_row[column], column
        # the same day; the page also declares the time (09:30 UTC), which the text does not say
        assert row["published"].date() == text_row["published"].date()
    assert text_row["text"].split("\n\n") == PARAGRAPHS
    assert warc_row["url"] == url and warc_row["source"] == "gazette.example"
    assert warc_row["fetched"] == datetime(2024, 3, 6, 8, 0)
    assert page_row["sitename"] == warc_row["sitename"] == "Riverside Gazette"


def test_windows_1252_page_is_decoded_by_its_meta_charset(tmp_path):
    paragraphs = [p.replace("according to", "“according to”") + " Café owners said it’s welcome."
                  for p in PARAGRAPHS]
    page = article_html(paragraphs=paragraphs, charset="windows-1252")
    (tmp_path / "cp1252.html").write_bytes(page.encode("cp1252"))
    run([tmp_path / "cp1252.html"], tmp_path / "out")
    text = published(tmp_path / "out")["cp1252"]["text"]
    assert "“according to”" in text and "Café owners said it’s welcome." in text


@pytest.mark.parametrize("workers", [1, 2])  # steps in this process (main thread) / in worker processes
def test_time_limit_quarantines_the_page_not_the_run(tmp_path, workers):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "normal.txt").write_text(article_txt(), encoding="utf-8")
    # a page big enough that extraction cannot finish within a millisecond
    (folder / "slow.html").write_text(article_html(paragraphs=PARAGRAPHS * 150), encoding="utf-8")
    options = Options(workers=workers, batch_docs=1, extract=ExtractOptions(timeout_seconds=0.001))
    run([folder], tmp_path / "out", options)
    assert set(published(tmp_path / "out")) == {"normal"}
    assert rejects(tmp_path / "out")["slow"]["reason"] == "html_timeout"


def test_size_limit_quarantines_the_page_not_the_run(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "normal.txt").write_text(article_txt(), encoding="utf-8")
    (folder / "big.html").write_text(article_html(), encoding="utf-8")
    run([folder], tmp_path / "out", Options(extract=ExtractOptions(max_html_chars=1_000)))
    assert set(published(tmp_path / "out")) == {"normal"}
    assert rejects(tmp_path / "out")["big"]["reason"] == "html_too_large"


def test_page_title_is_cut_where_the_h1_ends_and_mojibake_repaired(tmp_path):
    """<title>/og:title carry the site's name; the page's H1 tells where the headline ends.
    A title in mojibake is repaired as the text is."""
    headline = "Storm closes the old stone bridge for a week"
    cut = article_html(title=headline).replace(
        f'<meta property="og:title" content="{headline}">',
        f'<meta property="og:title" content="{headline} – Riverside County Gazette and Herald">')
    garbled = article_html(title="Council\u2019s park plan wins the vote", paragraphs=OTHER).replace(
        '<meta property="og:title" content="Council\u2019s',
        '<meta property="og:title" content="Council\u00e2\u20ac\u2122s')
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "bridge.html").write_text(cut, encoding="utf-8")
    (folder / "park.html").write_text(garbled, encoding="utf-8")
    run([folder], tmp_path / "out")
    rows = published(tmp_path / "out")
    assert rows["bridge"]["title"] == headline
    assert rows["park"]["title"] == "Council\u2019s park plan wins the vote"
