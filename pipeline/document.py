"""The one record every step takes and returns: a document and what happened to it."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(slots=True, frozen=True)
class Removal:
    """One line taken out of a document, and the rule that took it."""

    line: int  # 1-based number of the line in the decoded input text
    rule: str  # rule name, e.g. "ad_shortcode"
    family: str  # rule family, e.g. "ad_marker"; the audit groups by it
    text: str  # the line as it stood after text repair
    # body_model removals: the line's probability of being article text (under its page's
    # threshold, cleaning.body.judge.page_threshold)
    score: float | None = None


@dataclass(slots=True, frozen=True)
class Rejection:
    """Why a document was quarantined instead of published."""

    reason: str  # short machine-readable code, e.g. "unreadable", "empty_text"
    detail: str  # one readable sentence for the user


@dataclass(slots=True, frozen=True)
class PendingRow:
    """An input record read but not decoded yet: one JSON line. Decoding it is the first step
    (`readers.jsonl.DecodeRow`), so it runs in the workers, not in the process that reads."""

    number: int  # the record's line in its file
    data: bytes


@dataclass(slots=True)
class Document:
    """A news article on its way from a raw input to a published row.

    Readers fill `id`, `raw`, `provenance` and whatever fields the input carries
    (`given`), or leave a record to decode in `row`; cleaning steps fill `text`, `lines`,
    `removals` and `paragraph_lines`; the metadata step fills the rest. A step that cannot go on sets `rejection` and every
    later step leaves the document alone.
    """

    id: str
    raw: str
    provenance: str
    html: str | None = None  # an HTML page still to extract (pipeline/extract/html.py fills `raw`)
    row: PendingRow | None = None  # a record still to decode (DecodeRow fills id, raw or html, given)
    text: str = ""
    # (line number, text) of the lines still in the body; numbers refer to the input text
    lines: list[tuple[int, str]] = field(default_factory=list)
    removals: list[Removal] = field(default_factory=list)
    # the input line each paragraph of `text` starts on (repair_text fills it)
    paragraph_lines: list[int] = field(default_factory=list)
    repairs: list[str] = field(default_factory=list)  # names of text repairs applied
    given: dict[str, Any] = field(default_factory=dict)  # fields from the input (url, title, ...)
    title: str | None = None
    url: str | None = None
    published: datetime | None = None
    published_utc_offset: str | None = None
    author: str | None = None
    authors: list[str] = field(default_factory=list)
    credits: list[str] = field(default_factory=list)
    language: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # sitename, description, tags, fetched ...
    rejection: Rejection | None = None
    # where the document stands in the canonical input order (`readers.input_position`): of two
    # documents with one id, the smaller position is published, whatever order the inputs came in
    position: int = 0

    def reject(self, reason: str, detail: str) -> "Document":
        self.rejection = Rejection(reason, detail)
        return self

    def removed_lines(self, *families: str) -> list[Removal]:
        """Removals of the given families, in line order (all when none is named)."""
        if not families:
            return list(self.removals)
        return [r for r in self.removals if r.family in families]
