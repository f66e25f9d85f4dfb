"""The texts each extraction path finds in one page, one paragraph a line.

Paths: trafilatura's balanced and recall modes (reader comments off), the readability-style and
jusText extractors trafilatura ships as its own fallbacks, and the `articleBody` a page declares in
its JSON-LD. Each returns None when it finds nothing or its parser fails on the page: the chooser
(`choose.py`) then has one path fewer, never a broken page.
"""
from __future__ import annotations

import json
import logging
import re
from copy import deepcopy
from typing import Any, Callable

from lxml import etree, html as lxml_html

from ..options import ExtractOptions

log = logging.getLogger(__name__)

# Elements that start a new line of text (a paragraph, heading, list item, table row, break).
BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption", "figure",
    "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre",
    "section", "table", "tbody", "td", "th", "thead", "tr", "ul"})
SKIP_TAGS = frozenset({"script", "style", "noscript", "template", "svg", "button", "select", "option"})
SPACES = re.compile(r"[ \t\r\n\u00a0]+")


def element_lines(element) -> list[str]:
    """An element's text as lines: a break at every block element, runs of spaces folded."""
    parts: list[str] = []

    def walk(node) -> None:
        tag = node.tag if isinstance(node.tag, str) else ""
        if tag in SKIP_TAGS:
            parts.append(node.tail or "")
            return
        block = tag in BLOCK_TAGS
        if block:
            parts.append("\n")
        parts.append(node.text or "")
        for child in node:
            walk(child)
        if block:
            parts.append("\n")
        parts.append(node.tail or "")

    walk(element)
    lines = (SPACES.sub(" ", line).strip() for line in "".join(parts).split("\n"))
    return [line for line in lines if line]


def trafilatura_mode(html: str, url: str | None, options: ExtractOptions, dates: dict,
                     **mode: bool) -> Any:
    """trafilatura's Document (text and page metadata) in one of its modes, or None."""
    import trafilatura

    return trafilatura.bare_extraction(
        html, url=url, with_metadata=True, output_format="python", date_extraction_params=dates,
        include_comments=options.include_comments, include_tables=options.include_tables,
        deduplicate=options.deduplicate,
        include_images=False, include_links=False, include_formatting=False, **mode)


def readability_text(tree) -> str | None:
    """The readability-style extractor trafilatura falls back on (`try_readability`)."""
    from trafilatura.external import try_readability

    return "\n".join(element_lines(try_readability(deepcopy(tree)))) or None


def justext_text(tree) -> str | None:
    """jusText's paragraphs classified as good (trafilatura's second fallback, its stop-words)."""
    from trafilatura.external import try_justext

    return "\n".join(element_lines(try_justext(deepcopy(tree), None, None))) or None


def _json_objects(data: Any):
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            yield item
            stack.extend(reversed([v for v in item.values() if isinstance(v, (dict, list))]))


def json_ld_objects(tree) -> list[dict]:
    """Every object of the page's JSON-LD blocks (those that parse), in page order."""
    objects: list[dict] = []
    for script in tree.iterfind(".//script[@type='application/ld+json']"):
        try:
            objects.extend(_json_objects(json.loads(script.text or "")))
        except (ValueError, RecursionError):
            continue
    return objects


def json_ld_body(tree) -> str | None:
    """The longest `articleBody` the page declares, as lines (some pages put HTML in it)."""
    bodies = [o["articleBody"] for o in json_ld_objects(tree) if isinstance(o.get("articleBody"), str)]
    if not bodies:
        return None
    body = max(bodies, key=len)
    if "<" in body:
        try:
            return "\n".join(element_lines(lxml_html.fragment_fromstring(body, create_parent="div"))) or None
        except (etree.ParserError, ValueError):
            pass
    lines = (SPACES.sub(" ", line).strip() for line in body.splitlines())
    return "\n".join(line for line in lines if line) or None


def guarded(name: str, make: Callable[[], Any]) -> Any:
    """A path's result, or None when its parser fails on this page (the next path is tried).
    A time limit (a BaseException) is not caught: it ends the page's extraction."""
    try:
        return make()
    except (RecursionError, MemoryError):
        raise
    except Exception as exc:  # lxml, readability and jusText raise many kinds on broken markup
        log.info("extraction path %s failed: %r", name, exc)
        return None
