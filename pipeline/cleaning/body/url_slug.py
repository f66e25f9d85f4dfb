"""The words of a page's url slug, for the headline model.

Most article urls spell their headline ("/2025/09/04/top-nutrition-trends-for-fall-2025/"), and
a full-page scrape holds the headline among menu words, section names and other stories'
headlines. A candidate line that holds the slug's words, and little else, is likely the one.
Two headline models: one reads these columns and judges a page whose slug shares a word with
a candidate; the other, the model from before urls were read, judges every other page (no url,
a url without a slug: "?p=123", "/news/4711", or a slug that names no candidate: "/sign-in").
Site-disjoint CV in docs/body_model.md.
"""
from __future__ import annotations

import re
import unicodedata
from urllib.parse import unquote, urlsplit

import numpy as np

URL_MATCH = ("slug_share_in_line", "line_share_in_slug", "slug_match", "slug_match_below_best")
MISSING = -1.0
_EXTENSION = re.compile(r"\.(?:s?html?|php\d?|aspx?|jsp|cfm)$", re.IGNORECASE)
_WORD = re.compile(r"[^\W_]+")
_APOSTROPHES = str.maketrans("", "", "'’")  # slugs drop them: "what's" -> "whats"
MIN_SLUG_WORDS = 3  # words with a letter: "/news/4711", "/world-news" or "/sign-in" is no slug (a section, a page)
MAX_URL_CHARS = 4096  # a slug is far shorter; a longer "url" is read only this far


def words(text: str) -> list[str]:
    """Case-folded words without accents or apostrophes, as slugs spell them."""
    text = text.casefold().translate(_APOSTROPHES)
    if not text.isascii():
        text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return _WORD.findall(text)


def _is_identifier(word: str) -> bool:
    """A number of 5 digits or more, or a long mix of digits and letters: an id, not a word."""
    return (word.isdigit() and len(word) > 4) or (len(word) > 8 and any(c.isdigit() for c in word))


def slug_words(url: object) -> frozenset[str]:
    """The words of the url's path segment with the most words with a letter (the last of equals)."""
    if not url:
        return frozenset()
    text = str(url).strip()[:MAX_URL_CHARS]
    try:
        parts = urlsplit(text)
        if not parts.netloc and not parts.scheme and "." in text.split("/", 1)[0]:
            parts = urlsplit("//" + text)  # "example.com/news/..." without its scheme: the host is no slug
        path = unquote(parts.path)
    except ValueError:  # a malformed url ("http://[::1") is no slug
        return frozenset()
    best: list[str] = []
    most = MIN_SLUG_WORDS
    for segment in path.split("/"):
        found = [word for word in words(_EXTENSION.sub("", segment)) if not _is_identifier(word)]
        lettered = sum(not word.isdigit() for word in found)
        if lettered >= most:
            best, most = found, lettered
    return frozenset(best)


def url_matches(texts: list[str], slug: frozenset[str]) -> np.ndarray:
    """One row of the first three `URL_MATCH` columns per text: the share of the slug's words the
    line holds, the share of the line's words in the slug, and their harmonic mean (all -1
    without a slug). `title_features` adds the fourth over the candidates."""
    rows = np.full((len(texts), 3), MISSING)
    if not slug:
        return rows
    for i, text in enumerate(texts):
        found = set(words(text))
        shared = len(found & slug)
        in_line, in_slug = shared / len(slug), shared / len(found) if found else 0.0
        rows[i] = in_line, in_slug, 2 * in_line * in_slug / (in_line + in_slug) if shared else 0.0
    return rows


def names_a_candidate(matches: np.ndarray) -> bool:
    """Whether the slug shares a word with one of the candidates (`url_matches` of them): a slug
    that names none ("/sign-in", a section's name) says nothing about which is the headline."""
    return bool(len(matches)) and bool(matches[:, 2].max() > 0)


def below_best(matches: np.ndarray) -> np.ndarray:
    """How far each candidate's match falls below the best candidate's (-1 without a slug)."""
    match = matches[:, 2]
    if not len(match) or match[0] == MISSING:
        return np.full(len(match), MISSING)
    return match - match.max()
