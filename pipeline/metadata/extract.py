"""Step: fill title, date, author, credits, language and counts from input fields and removed lines.

Input fields (a JSONL/Parquet row's title, published, author, url) win over what the text
says; the byline, date and credit lines the boilerplate step removed fill the gaps.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from ..document import Document
from .dates import date_in_line, parse_date, utc_offset
from .language import detect_language
from .people import agency_in_byline, author_from_byline, credits_from_line, names
from .title import strip_site_suffix

FIRST_SENTENCE = re.compile(r"^(.{10,200}?[.!?])(?:\s|$)")
FALLBACK_TITLE_WORDS = 25


def _first_sentence(text: str) -> str | None:
    """Title of last resort for an untitled input: its first sentence, cut at a word."""
    first = text.split("\n", 1)[0]
    found = FIRST_SENTENCE.match(first)
    sentence = found.group(1) if found else first
    words = sentence.split()
    return " ".join(words[:FALLBACK_TITLE_WORDS]) or None


def _given_date(value, reference) -> tuple[datetime | None, str | None]:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None), utc_offset(value)
    if isinstance(value, str) and value.strip():
        return parse_date(value, reference)
    return None, None


def source_of(doc: Document) -> str | None:
    """The outlet: the url's host (without www.), else the site name the page gave, else None.
    Not the input folder: a folder of pages from many sites would share its "template lines"."""
    if doc.url:
        host = urlsplit(doc.url).hostname or ""
        if host:
            return host.removeprefix("www.")
    return doc.extra.get("sitename") or None


@dataclass(frozen=True)
class ExtractMetadata:
    name: str = "extract_metadata"

    def __call__(self, doc: Document) -> Document:
        if not doc.text.strip():
            return doc.reject("no_text", "nothing is left after removing boilerplate")
        given = doc.given
        reference = given.get("fetched") if isinstance(given.get("fetched"), datetime) else None
        doc.url = (given.get("url") or None) and str(given["url"]).strip() or None

        title = doc.title or (given.get("title") or None)
        doc.title = strip_site_suffix(title.strip()) if title else _first_sentence(doc.text)

        doc.published, doc.published_utc_offset = _given_date(given.get("published"), reference)
        doc.extra["published_from"] = "input" if doc.published is not None else None
        if doc.published is None:
            for removal in doc.removed_lines("dateline"):
                doc.published, doc.published_utc_offset = parse_date(removal.text, reference)
                if doc.published is not None:
                    doc.extra["published_from"] = "text"
                    break
        if doc.published is None:  # a byline that carries the date: "By X | Updated: June 18, 2023"
            for removal in doc.removed_lines("byline"):
                doc.published, doc.published_utc_offset = date_in_line(removal.text, reference)
                if doc.published is not None:
                    doc.extra["published_from"] = "text"
                    break

        author = given.get("author")
        if not author:
            # the first byline that names a person ("By Reuters" above "By Jane Doe" credits one)
            author = next(filter(None, (author_from_byline(line.text)
                                        for line in doc.removed_lines("byline")[:2])), None)
        doc.author = str(author).strip() if author else None
        doc.authors = names(doc.author) if doc.author else []

        credits: list[str] = []
        for removal in doc.removed_lines("credit"):
            credits.extend(c for c in credits_from_line(removal.text) if c not in credits)
        for removal in doc.removed_lines("byline")[:1]:
            agency = agency_in_byline(removal.text)
            if agency and agency not in credits:
                credits.append(agency)
        doc.credits = credits

        doc.language = detect_language(doc.text)
        doc.extra["source"] = source_of(doc)
        doc.extra["word_count"] = len(doc.text.split())
        doc.extra["content_hash"] = hashlib.sha256(doc.text.encode("utf-8")).hexdigest()
        return doc
