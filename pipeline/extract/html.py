"""Step: an HTML page's main text and metadata, one paragraph a line.

The text comes from the extraction path the page's evidence favours (`choose.py`: trafilatura's
balanced or recall mode, readability, jusText, JSON-LD); the path and the reason go to
`extra["extracted_by"]` and `extra["extraction_reason"]`, and the numbers of the lines that are
<p> paragraphs of the page's <article> (or itemprop=articleBody) to `extra["protected_lines"]`.
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
from ..metadata.page import declared_author, declared_date, visible_headline
from ..metadata.people import page_author
from ..options import ExtractOptions
from .candidates import json_ld_objects
from .choose import Extraction, choose
from .limits import TimeLimitExceeded, time_limit

log = logging.getLogger(__name__)

WEB_ADDRESS = re.compile(r"^https?://[^\s/$.?#][^\s]*$")
SPACES = re.compile(r"[ \t\u00a0]+")
# A lead byte of UTF-8 followed by a continuation byte, both read as Latin-1: the mark of mojibake
# ('\u00e2\x80\x99' for '\u2019'), and the only case where the page is handed to ftfy first.
MOJIBAKE_PAIR = re.compile("[\u00c2-\u00f4][\u0080-\u00bf]")
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


def repaired_encoding(html: str) -> str:
    """The page with UTF-8 text that was decoded as Latin-1 / cp1252 repaired (ftfy, encoding
    fixes only). It must happen before extraction: trafilatura drops the C1 control characters
    such text holds ('we\u00e2\x80\x99ve' -> 'we\u00e2ve'), and what is left cannot be repaired."""
    import ftfy

    return ftfy.fix_encoding(html)


def top_headings(tree, limit: int = 5) -> list[str]:
    """The page's first H1 texts, spaces folded: where the page says its headline is."""
    return [" ".join(h.text_content().split()) for h in tree.iter("h1")][:limit]


def article_paragraphs(tree) -> set[str]:
    """Folded texts of the <p> elements the page marks as its article (<article>,
    itemprop=articleBody): lines the text cleaner must not take for page furniture."""
    found = tree.xpath("//article//p | //*[@itemprop='articleBody']//p")
    return {" ".join(p.text_content().split()).casefold() for p in found} - {""}


def protected_lines(text: str, paragraphs: set[str]) -> list[int]:
    """1-based numbers of the lines of `text` that are article paragraphs of the page."""
    return [number for number, line in enumerate(text.split("\n"), 1)
            if " ".join(line.split()).casefold() in paragraphs]


def extract(html: str, url: str | None, options: ExtractOptions) -> tuple[Extraction | None, object]:
    """The page's text by the evidence rules of `choose.py` (None when no path finds any), and
    the parsed page (None when it does not parse)."""
    from trafilatura.settings import set_date_params
    from trafilatura.utils import load_html

    if MOJIBAKE_PAIR.search(html):
        html = repaired_encoding(html)
    tree = load_html(html)
    dates = set_date_params(options.extensive_date_search)
    return choose(html, tree, url, options, dates), tree


def page_fields(result, tree, url: str | None, options: ExtractOptions) -> dict[str, str | None]:
    """url, title, author and published as the page gives them: what it declares first
    (pipeline/metadata/page.py), trafilatura's guesses (`result`) after."""
    objects = json_ld_objects(tree) if tree is not None else []
    headings = top_headings(tree) if tree is not None else []
    title = visible_headline(result.title if result is not None else None, headings,
                             result.sitename if result is not None else None)
    author = declared_author(tree, objects) if tree is not None else None
    if author is None and result is not None and result.author:
        author = page_author(result.author)
    published = declared_date(tree, url, options.extensive_date_search) if tree is not None else None
    return {"url": result.url if result is not None else None, "title": title,
            "published": published, "author": author}


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
                result, tree = extract(html, url, self.options)
                fields = page_fields(result.page, tree, url, self.options) if result is not None else {}
        except TimeLimitExceeded:
            return doc.reject("html_timeout", f"extraction took longer than "
                              f"{self.options.timeout_seconds:g} s (extract.timeout_seconds)")
        except (RecursionError, MemoryError) as exc:
            return doc.reject("html_unparsable", f"the page is too deeply nested or too big to parse: "
                              f"{type(exc).__name__}")
        except Exception as exc:  # lxml and trafilatura raise many kinds on broken markup
            log.info("document %s: extraction failed: %r", doc.id, exc)
            return doc.reject("html_unparsable", f"the HTML parser failed: {type(exc).__name__}: {exc}")
        text = text_lines(result.text) if result is not None else ""
        if len(text) < max(self.options.min_text_chars, 1):
            return doc.reject("html_no_text", "no article text found in the page (trafilatura, "
                              "readability, jusText and JSON-LD found nothing: a list page, a login "
                              "wall or an empty template?)")
        doc.raw = text
        doc.extra["extracted_by"] = result.path
        doc.extra["extraction_reason"] = result.reason
        doc.extra["protected_lines"] = protected_lines(text, article_paragraphs(tree)) if tree is not None else []
        self._metadata(doc, result.page, fields)
        return doc

    @staticmethod
    def _metadata(doc: Document, result, page: dict[str, str | None]) -> None:
        """The page's own fields fill what the input did not give; the input's win."""
        page = dict(page)
        if not WEB_ADDRESS.match(page["url"] or ""):
            page["url"] = None  # a relative or odd canonical link is no address of the article
        for key, value in page.items():
            if isinstance(value, str) and value.strip() and not doc.given.get(key):
                doc.given[key] = value.strip()
        if result is None:
            return
        if result.sitename and result.sitename.strip():
            doc.extra["sitename"] = result.sitename.strip()
        if result.description and result.description.strip():
            doc.extra["description"] = result.description.strip()
        doc.extra["tags"] = tag_list(result.categories, result.tags)
        if doc.given.get("fetched") is not None:
            doc.extra.setdefault("fetched", doc.given["fetched"])
