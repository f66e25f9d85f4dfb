"""Title, author and date from what an HTML page declares about itself, before any guess.

Order of trust, measured on WCXB dev (793 article pages; docs/html_extraction.md):
- headline: the page's visible headline (its H1) when the <title> says it otherwise (SEO titles,
  site suffixes), else the <title> cut where the H1 or the site name begins (`page_headline`);
- author: the JSON-LD article's `author.name`, else `<meta name="author">`, else trafilatura's
  guess (which folds case and splits names at "and");
- date: htmldate in its original-date mode over the whole page (it reads JSON-LD, OpenGraph
  `article:published_time`, `<time datetime>` and bylines), given with the time and UTC offset of
  a declared timestamp of the same day when the page has one (the metadata step keeps the wall
  clock and the offset, pipeline/metadata/dates.py).
"""
from __future__ import annotations

import html
import logging
from copy import deepcopy
from typing import Any, Iterable

from .title import loose, page_headline

log = logging.getLogger(__name__)

ARTICLE_TYPES = ("Article", "Posting", "Report")  # NewsArticle, BlogPosting, ReportageNewsArticle ...
# An H1 of fewer words is a section or brand name ("Menu", "Follow Us"); one of more is a teaser.
HEADLINE_WORDS = (3, 40)
DECLARED_TIMES = ("//meta[@property='article:published_time']/@content",
                  "//meta[@itemprop='datePublished']/@content", "//time[@datetime]/@datetime")


def plain(value: Any) -> str | None:
    """A declared string with entities decoded and spaces folded; None for empty or non-strings."""
    if not isinstance(value, str):
        return None
    text = " ".join(html.unescape(value).split()).strip(" ,;|")
    return text or None


def article_objects(objects: Iterable[dict]) -> list[dict]:
    """JSON-LD objects typed as an article of some kind, in page order."""
    def is_article(obj: dict) -> bool:
        kinds = obj.get("@type")
        kinds = kinds if isinstance(kinds, list) else [kinds]
        return any(isinstance(k, str) and any(t in k for t in ARTICLE_TYPES) for k in kinds)
    return [obj for obj in objects if is_article(obj)]


def person_names(value: Any) -> str | None:
    """JSON-LD `author`: a name, a {name} object or a list of them -> 'A, B'."""
    if isinstance(value, list):
        names = [n for n in (person_names(v) for v in value) if n]
        return ", ".join(dict.fromkeys(names)) or None
    if isinstance(value, dict):
        value = value.get("name")
    return plain(value)


def declared_author(tree, objects: list[dict]) -> str | None:
    """The JSON-LD article's author names, else <meta name="author"> (not a link)."""
    for obj in article_objects(objects):
        names = person_names(obj.get("author"))
        if names and not names.startswith("http"):
            return names
    for content in tree.xpath("//meta[@name='author']/@content"):
        name = plain(content)
        if name and not name.startswith("http"):
            return name
    return None


def visible_headline(title: str | None, headings: list[str], sitename: str | None) -> str | None:
    """The headline a reader sees: the <title> when one of the page's H1s says the same, else
    the first H1 of headline length that is not the site's name, else the cut <title>."""
    cut = page_headline(plain(title), headings, sitename) if plain(title) else None
    site = loose(sitename or "")
    low, high = HEADLINE_WORDS
    candidates = [h for h in (plain(h) for h in headings) if h and low <= len(h.split()) <= high
                  and loose(h) != site]
    if not candidates or (cut and any(loose(h) == loose(cut) for h in candidates)):
        return cut
    return candidates[0]


def declared_date(tree, url: str | None, extensive_search: bool = False) -> str | None:
    """htmldate's original publication day, with the time and offset of a declared timestamp of
    that day when there is one ('2024-03-05T09:30:00+01:00'), else the day alone."""
    from htmldate import find_date

    try:
        day = find_date(deepcopy(tree), url=url, original_date=True,
                        extensive_search=extensive_search)
    except Exception as exc:  # htmldate parses whatever the page holds; a failure is no date
        log.info("htmldate failed: %r", exc)
        return None
    if not day:
        return None
    for query in DECLARED_TIMES:
        for stamp in tree.xpath(query):
            stamp = plain(stamp)
            if stamp and stamp[:10] == day and len(stamp) > 10 and stamp[10] in "T ":
                return stamp
    return day
