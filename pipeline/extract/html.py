"""Step: an HTML page's main text and metadata, extracted with trafilatura, one paragraph a line.

It runs first, in the worker processes (a page takes ~0.1-1 s). The text goes to `raw`, so the
line rules, text repair and metadata steps treat it like a .txt article; what the page declares
(url, title, date, author) goes to `given` unless the input already gave it, and sitename,
description and tags to `extra`. A page over the size or time limit, or one that breaks the
parser, is quarantined with its reason.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

from ..document import Document
from ..metadata.people import page_author
from ..metadata.title import page_headline
from ..options import ExtractOptions
from .limits import TimeLimitExceeded, time_limit

log = logging.getLogger(__name__)

WEB_ADDRESS = re.compile(r"^https?://[^\s/$.?#][^\s]*$")
SPACES = re.compile(r"[ \t\u00a0]+")
# trafilatura's tags/categories come as one comma-separated string (or a list of them).
TAG_SPLIT = re.compile(r"\s*[,;|]\s*")


def text_lines(text: str) -> str:
    """One paragraph a line, spaces tidied, empty lines dropped: the layout the line rules expect."""
    lines = (SPACES.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def tag_list(*values: Any) -> list[str]:
    """Categories then tags, split, trimmed, without repeats (case-insensitive), in page order."""
    out: list[str] = []
    seen: set[str] = set()
    for value in values:
        items = value if isinstance(value, (list, tuple)) else [value]
        for item in items:
            for tag in TAG_SPLIT.split(str(item or "")):
                tag = tag.strip()
                if tag and tag.casefold() not in seen:
                    seen.add(tag.casefold())
                    out.append(tag)
    return out


def top_headings(html: str, limit: int = 5) -> list[str]:
    """The page's first H1 texts, spaces folded: where the page says its headline is."""
    from trafilatura.utils import load_html

    tree = load_html(html)
    if tree is None:
        return []
    return [" ".join(h.text_content().split()) for h in tree.iter("h1")][:limit]


def _words(result) -> int:
    return len(result.text.split()) if result is not None and result.text else 0


def extract(html: str, url: str | None, options: ExtractOptions):
    """trafilatura's extraction of one page (its Document), or None when it finds no main text.

    favor_precision now and then keeps only a stray line of a page's body; when it leaves less
    than `precision_fallback_words`, the balanced extraction is taken if it finds more.
    """
    import trafilatura
    from trafilatura.settings import set_date_params

    dates = set_date_params(options.extensive_date_search)

    def attempt(favor_precision: bool):
        return trafilatura.bare_extraction(
            html, url=url, with_metadata=True, output_format="python", date_extraction_params=dates,
            favor_precision=favor_precision, include_comments=options.include_comments,
            include_tables=options.include_tables, deduplicate=options.deduplicate,
            include_images=False, include_links=False, include_formatting=False)

    result = attempt(options.favor_precision)
    if options.favor_precision and _words(result) < options.precision_fallback_words:
        balanced = attempt(False)
        if _words(balanced) > _words(result):
            return balanced
    return result


@dataclass(frozen=True)
class ExtractHtml:
    """HTML page -> text lines + page metadata; documents without `html` pass untouched."""

    options: ExtractOptions = field(default_factory=ExtractOptions)
    name: str = "extract_html"

    def __call__(self, doc: Document) -> Document:
        if doc.html is None:
            return doc
        html, doc.html = doc.html, None  # the page is not needed after this step
        if len(html) > self.options.max_html_chars:
            return doc.reject("html_too_large", f"the page has {len(html):,} characters, over the "
                              f"limit of {self.options.max_html_chars:,} (extract.max_html_chars)")
        url = doc.given.get("url") or None
        try:
            with time_limit(self.options.timeout_seconds):
                result = extract(html, url, self.options)
        except TimeLimitExceeded:
            return doc.reject("html_timeout", f"extraction took longer than "
                              f"{self.options.timeout_seconds:g} s (extract.timeout_seconds)")
        except (RecursionError, MemoryError) as exc:
            return doc.reject("html_unparsable", f"the page is too deeply nested or too big to parse: "
                              f"{type(exc).__name__}")
        except Exception as exc:  # lxml and trafilatura raise many kinds on broken markup
            log.info("document %s: extraction failed: %r", doc.id, exc)
            return doc.reject("html_unparsable", f"the HTML parser failed: {type(exc).__name__}: {exc}")
        text = text_lines(result.text or "") if result is not None else ""
        headings = top_headings(html) if result is not None and result.title else []
        if len(text) < max(self.options.min_text_chars, 1):
            return doc.reject("html_no_text", "no article text found in the page (trafilatura "
                              "extracted nothing: a list page, a login wall or an empty template?)")
        doc.raw = text
        self._metadata(doc, result, headings)
        return doc

    @staticmethod
    def _metadata(doc: Document, result, headings: list[str]) -> None:
        """The page's own fields fill what the input did not give; the input's win."""
        title = page_headline(result.title, headings, result.sitename) if result.title else None
        author = page_author(result.author) if result.author else None
        page = {"url": result.url, "title": title, "published": result.date, "author": author}
        if not WEB_ADDRESS.match(page["url"] or ""):
            page["url"] = None  # a relative or odd canonical link is no address of the article
        for key, value in page.items():
            if isinstance(value, str) and value.strip() and not doc.given.get(key):
                doc.given[key] = value.strip()
        if result.sitename and result.sitename.strip():
            doc.extra["sitename"] = result.sitename.strip()
        if result.description and result.description.strip():
            doc.extra["description"] = result.description.strip()
        doc.extra["tags"] = tag_list(result.categories, result.tags)
        if doc.given.get("fetched") is not None:
            doc.extra.setdefault("fetched", doc.given["fetched"])
