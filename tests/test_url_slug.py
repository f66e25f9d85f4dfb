"""The url's slug as a headline signal (`cleaning/body/url_slug.py`)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from newsclean import clean_text
from newsclean.cleaning.body.features import feature_names, title_features, title_names
from newsclean.cleaning.body.url_slug import URL_MATCH, slug_words, url_matches, words

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("url, expected", [
    ("https://example.com/2025/09/04/top-nutrition-trends-for-fall-2025/", {"top", "nutrition", "trends", "for", "fall", "2025"}),
    ("https://example.com/news/harbour-town-rebuilds-sea-wall.html", {"harbour", "town", "rebuilds", "sea", "wall"}),
    ("https://example.com/sport/what's-next-for-city-4711203", {"whats", "next", "for", "city"}),  # an id dropped
    ("https://example.de/wirtschaft/k%C3%BCche-und-caf%C3%A9", {"kuche", "und", "cafe"}),  # as slugs spell them
    ("www.example.com/news/harbour-town-rebuilds", {"harbour", "town", "rebuilds"}),  # no scheme: the host is no slug
    ("the-coastal-post.com/news/4711", set()),
    ("https://example.com/a1b2c3d4e5f6/story", set()),  # one word is no slug
    ("https://example.com/world-news/", set()),  # nor two: a section's name, a page's ("/sign-in")
    ("https://example.com/?p=123", set()),
    ("https://example.com/news/4711", set()),
    ("http://[::1", set()),  # malformed
    ("", set()),
    (None, set()),
])
def test_the_slug_is_the_segment_with_the_most_words(url, expected):
    assert slug_words(url) == expected


def test_a_line_is_matched_by_the_share_of_the_slug_it_holds_and_of_it_the_slug_holds():
    slug = slug_words("https://example.com/2025/harbour-town-rebuilds-its-sea-wall")
    assert len(slug) == 6
    rows = url_matches(["Harbour town rebuilds its sea wall", "Harbour town", "Politics", ""], slug)
    assert rows[0].tolist() == [1.0, 1.0, 1.0]
    assert rows[1, 0] == pytest.approx(2 / 6) and rows[1, 1] == 1.0
    assert rows[2].tolist() == [0.0, 0.0, 0.0] and rows[3].tolist() == [0.0, 0.0, 0.0]


def test_without_a_slug_every_match_is_missing():
    assert (url_matches(["Harbour town rebuilds its sea wall"], frozenset()) == -1).all()


def test_the_headline_features_end_with_the_url_match():
    rows = np.zeros((3, len(feature_names())))  # no line paragraph-shaped: all three are candidates
    p = np.array([0.1, 0.2, 0.9])
    around = np.zeros((3, 8))
    match = url_matches(["Harbour town", "Harbour town rebuilds its sea wall", "x"],
                        slug_words("https://e.com/harbour-town-rebuilds-its-sea-wall"))
    features = title_features(rows, p, None, around, match)
    assert features.shape[1] == len(title_names())
    url = features[:, -len(URL_MATCH):]
    assert url[1].tolist() == [1.0, 1.0, 1.0, 0.0]  # the best candidate
    assert url[0, 3] == pytest.approx(2 * (1 / 3) / (1 / 3 + 1) - 1)  # "Harbour town" falls below it
    assert url[2, 3] == -1.0
    missing = title_features(rows, p, None, around, url_matches(["A b c", "x", "y"], frozenset()))
    assert (missing[:, -len(URL_MATCH):] == -1).all()


TEASER = "Train drivers vote to strike over pay"
HEADLINE = "Harbour town rebuilds its sea wall after winter storms"
OTHER = "Council approves new bus lanes in the city centre"


def _page() -> str:
    """A full-page scrape with three headline-shaped lines above the article, no byline or date
    line to tell them apart: other stories' headlines on both sides of the article's own."""
    lines = (REPO / "tests" / "data" / "full_page_scrape.txt").read_text(encoding="utf-8").splitlines()
    head = lines[:lines.index(HEADLINE)]
    body = [line for line in lines if len(line.split()) >= 10]
    return "\n".join(head[:-1] + [TEASER, HEADLINE, OTHER] + body + ["Most read", "Ten best beaches for a winter walk"])


def test_without_a_url_the_headline_is_the_articles_own():
    assert clean_text(_page()).title == HEADLINE


@pytest.mark.parametrize("line", [TEASER, HEADLINE, OTHER])
def test_the_urls_slug_decides_between_headline_shaped_lines(line):
    url = "https://coastalpost.example/2025/03/" + "-".join(words(line)) + "/"
    doc = clean_text(_page(), url=url)
    assert doc.title == line
    assert all(paragraph in doc.text for paragraph in _page().splitlines() if len(paragraph.split()) >= 10)


@pytest.mark.parametrize("url", ["https://coastalpost.example/?p=123", "https://coastalpost.example/news/4711",
                                 "https://coastalpost.example/account/sign-in", "coastalpost.example/local-news/4711",
                                 "https://coastalpost.example/2025/completely-unrelated-words-here"])
def test_a_url_whose_slug_names_no_candidate_changes_nothing(url):
    """No slug, or one that shares no word with a line above the body: the headline model that
    never read a url picks, as when no url is given."""
    alone, with_url = clean_text(_page()), clean_text(_page(), url=url)
    assert (with_url.text, with_url.title, with_url.removals) == (alone.text, alone.title, alone.removals)


def test_a_jsonl_inputs_url_reaches_the_headline_model(tmp_path):
    url = "https://coastalpost.example/2025/03/" + "-".join(words(TEASER)) + "/"
    source = tmp_path / "pages.jsonl"
    source.write_text(json.dumps({"id": "p1", "text": _page(), "url": url}) + "\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "newsclean", "run", str(source), "--out", str(tmp_path / "out")],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert pq.read_table(tmp_path / "out" / "data").to_pylist()[0]["title"] == TEASER
