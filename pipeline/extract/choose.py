"""Which extraction of a page to keep, decided from what the candidates show.

trafilatura's balanced mode is the best single path on real article pages (WCXB dev: text F1
0.936, against 0.934 for its recall mode and 0.912 for its precision mode), but each path wins on
pages of its own. The rules below take another path only when the page's own evidence says the
balanced text is a part of the article:

1. `trafilatura_recall`: the recall mode's text holds (nearly) all the balanced text and more: the
   balanced mode pruned blocks (headings, lists, a second column) that the recall mode kept.
2. `readability`: the readability-style text holds (nearly) all of the text chosen so far, is
   clearly longer, and what it adds is also found by another path (jusText or the recall mode):
   two independent extractors agree that the extra is part of the page's main text.
3. A page where the balanced mode finds nothing falls back, in order, to the recall mode, the
   JSON-LD `articleBody` the page declares, readability and jusText (these two only when they find
   a text of some length); a page where every path fails is rejected.

A paragraph the chosen text repeats (many pages hold a mobile and a desktop copy of the article)
is kept once. Every rule is an inequality on word counts, so the choice is deterministic and
`Extraction.reason` says in words why a path was taken.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any, Callable

from ..options import ExtractOptions
from .candidates import guarded, json_ld_body, justext_text, readability_text, trafilatura_mode

TOKEN = re.compile(r"\w+")
# Thresholds, tuned on WCXB dev (793 pages, nearly one page per site) by a small grid; the figures
# in docs/html_extraction.md. Share of the current text's words the other path must also hold:
COVERS = 0.9
# How much longer the recall text must be (5 %: below that the two modes differ by a line or two).
RECALL_GROWTH = 1.05
# How much longer the readability text must be (20 %: readability keeps headings and lists, but on
# many pages also a few lines of page furniture; a small gain is not worth that risk).
READABILITY_GROWTH = 1.2
# Share of readability's extra words another path must also find.
EXTRA_AGREEMENT = 0.8
# Words a generic extractor must find when trafilatura found none: less is a page's footer or
# menu (what readability returns for a page without an article), not an article.
FALLBACK_MIN_WORDS = 50
# A repeated line this long or longer is a copy of a paragraph, not a short refrain ("Share").
REPEAT_MIN_CHARS = 30


@dataclass(frozen=True)
class Extraction:
    """The text kept (one paragraph a line), the path it came from and why, and trafilatura's
    view of the page's metadata (from its balanced mode, else its recall mode; None when both failed)."""

    text: str
    path: str
    reason: str
    page: Any = None


def words(text: str | None) -> Counter:
    return Counter(TOKEN.findall((text or "").lower()))


def share_within(part: Counter, whole: Counter) -> float:
    """Share of `part`'s words (with repeats) that `whole` holds too."""
    total = sum(part.values())
    return sum((part & whole).values()) / total if total else 0.0


def without_repeats(text: str) -> str:
    """The text with a second copy of any line of REPEAT_MIN_CHARS or more dropped."""
    seen: set[str] = set()
    kept = []
    for line in text.split("\n"):
        key = " ".join(line.split()).casefold()
        if len(key) >= REPEAT_MIN_CHARS and key in seen:
            continue
        seen.add(key)
        kept.append(line)
    return "\n".join(kept)


def text_of(result: Any) -> str | None:
    if result is None or not result.text or not result.text.strip():
        return None
    return result.text


def choose(html: str, tree: Any, url: str | None, options: ExtractOptions, dates: dict) -> Extraction | None:
    """The page's text by the rules in this module's docstring; None when no path finds any."""
    balanced = guarded("trafilatura", lambda: trafilatura_mode(html, url, options, dates))
    recall = guarded("trafilatura_recall",
                     lambda: trafilatura_mode(html, url, options, dates, favor_recall=True))
    page = balanced if balanced is not None else recall
    if text_of(balanced) is None:
        return _fallback(tree, text_of(recall), page)
    text, path, reason = pick(text_of(balanced), text_of(recall),
                              guarded("readability", lambda: readability_text(tree)),
                              lambda: guarded("justext", lambda: justext_text(tree)))
    return Extraction(without_repeats(text), path, reason, page)


def pick(balanced: str, recall: str | None, readable: str | None,
         justext: Callable[[], str | None]) -> tuple[str, str, str]:
    """(text, path, reason) from the candidates' texts by rules 1 and 2; `justext` is called
    only when rule 2 needs its agreement (it is the slowest path)."""
    text, path, reason = balanced, "trafilatura", "trafilatura's balanced mode"
    chosen, recall_words = words(balanced), words(recall)
    if (sum(recall_words.values()) > RECALL_GROWTH * sum(chosen.values())
            and share_within(chosen, recall_words) >= COVERS):
        text, path, chosen = recall, "trafilatura_recall", recall_words
        reason = "the recall mode holds the balanced text and more"
    readable_words = words(readable)
    if (sum(readable_words.values()) > READABILITY_GROWTH * sum(chosen.values())
            and share_within(chosen, readable_words) >= COVERS):
        extra = readable_words - chosen
        support = max(share_within(extra, recall_words), share_within(extra, words(justext())))
        if support >= EXTRA_AGREEMENT:
            text, path = readable, "readability"
            reason = "readability holds the chosen text and more, and another path finds the extra"
    return text, path, reason


def path_name(path: str) -> str:
    return path.replace("_", " ")


# After trafilatura's two modes: (path, extractor, words it must find), in the order tried.
FALLBACKS = (("json_ld", json_ld_body, 1), ("readability", readability_text, FALLBACK_MIN_WORDS),
             ("justext", justext_text, FALLBACK_MIN_WORDS))


def _fallback(tree: Any, recall_text: str | None, page: Any) -> Extraction | None:
    """Balanced mode found nothing: the recall mode, the body the page declares, then the first
    generic extractor that finds at least FALLBACK_MIN_WORDS (less is a footer, not an article)."""
    if recall_text:
        return Extraction(without_repeats(recall_text), "trafilatura_recall",
                          "the balanced mode found no text; the recall mode did", page)
    if tree is None:
        return None
    for path, make, least in FALLBACKS:
        found = guarded(path, lambda: make(tree))
        if found and sum(words(found).values()) >= least:
            return Extraction(without_repeats(found), path,
                              f"trafilatura found no text; {path_name(path)} did", page)
    return None
