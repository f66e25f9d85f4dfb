"""Headline text: compare repeats loosely, strip breadcrumb prefixes and section/site suffixes."""
from __future__ import annotations

import re

from ..folding import LETTERS_AND_DIGITS, ascii_words

NON_WORD = re.compile(r"[\W_]+")

# Separators news sites put between a headline and its section or site name.
SUFFIX_SEPARATOR = re.compile(r"\s+(?:[|–—•·:]{1,2}|-{1,2}|::)\s+")
BREADCRUMB_PREFIX = re.compile(r"^(?:home|inicio|accueil)\s*(?:[»›>/|•·]\s*[^»›>/|•·]{1,40}?\s*)*[»›>/|•·]\s*",
                               re.IGNORECASE)
# Separators in a page's <title> / og:title, where the headline may end and the site's name begin.
PAGE_SEPARATOR = re.compile(r"\s+(?:[|–—•·»:]{1,2}|-{1,2}|::)\s+")
MARKDOWN_HEADING = re.compile(r"^#{1,6}\s+")  # "## Headline": a page that put Markdown in its title
MAX_SUFFIX_WORDS = 3  # "Asia", "World News", "The Times of India": section and site names are short
MIN_HEADLINE_WORDS = 4  # keep "Ukraine - live" intact: strip only after a real headline


def loose(text: str) -> str:
    """Lower case, punctuation (every quote style and dash) and spaces folded to one space:
    for comparing repeats. loose(a + " " + b) == " ".join of the non-empty loose(a), loose(b).

    The same as `loose_by_regex`, 2-3x faster on news lines (tests/test_metadata.py)."""
    words = ascii_words(text, LETTERS_AND_DIGITS)
    return loose_by_regex(text) if words is None else " ".join(words)


def loose_by_regex(text: str) -> str:
    """The definition: case-folded, every run of non-word characters (and "_") one space."""
    return NON_WORD.sub(" ", text.casefold()).strip()


def strip_breadcrumb(line: str) -> str:
    """'Home » World » Headline' -> 'Headline' (unchanged when there is no breadcrumb)."""
    return BREADCRUMB_PREFIX.sub("", line, count=1)


def strip_site_suffix(title: str) -> str:
    """'Headline – Asia – International' -> 'Headline'; a headline with no short suffix is kept.

    Only the trailing parts are dropped, and only while each is short and what stays is a
    headline of several words; the headline's own words and quote style are never changed.
    """
    parts = SUFFIX_SEPARATOR.split(title)
    if len(parts) < 2:
        return title
    keep = len(parts)
    while keep > 1 and len(parts[keep - 1].split()) <= MAX_SUFFIX_WORDS:
        keep -= 1
    if keep == len(parts):
        return title
    head_len = sum(len(p.split()) for p in parts[:keep])
    if head_len < MIN_HEADLINE_WORDS:
        return title
    # cut the original string where the first dropped separator starts, keeping its spacing
    separators = list(SUFFIX_SEPARATOR.finditer(title))
    return title[: separators[keep - 1].start()].strip()


def page_headline(title: str, headings: list[str], sitename: str | None) -> str:
    """The headline in a page's title: cut at a separator where the page's own H1 says the
    headline ends ('Coffee Basics | Blue Cross' with H1 'Coffee Basics'), else before trailing
    parts that name the site ('Coffee - University of X', site 'University of X'). Only cuts;
    the words kept are the title's own."""
    title = MARKDOWN_HEADING.sub("", title.strip())
    separators = list(PAGE_SEPARATOR.finditer(title))
    if not separators:
        return title
    parts = PAGE_SEPARATOR.split(title)

    def head(kept: int) -> str:  # the title's first `kept` parts, as written
        return title[: separators[kept - 1].start()].strip()

    wanted = {loose(h) for h in headings} - {""}
    for kept in range(len(parts) - 1, 0, -1):
        if loose(head(kept)) in wanted:
            return head(kept)
    site = f" {loose(sitename or '')} "
    kept = len(parts)
    while kept > 1 and site.strip() and _names_site(f" {loose(parts[kept - 1])} ", site):
        kept -= 1
    return head(kept) if kept < len(parts) else title


def _names_site(part: str, site: str) -> bool:
    """Loose, space-padded texts: one holds the other as whole words ('Take The Magic Step' in
    'Take The Magic Step to a Healthy Lifestyle')."""
    return part.strip() != "" and (part in site or site in part)
