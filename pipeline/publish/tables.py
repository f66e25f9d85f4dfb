"""Documents to Arrow tables (corpus rows, removals, rejects) in the schemas' column order."""
from __future__ import annotations

import pyarrow as pa

from newsclean.schemas import Corpus, Rejects, Removals, arrow_schema

from ..cleaning.repair import join_split_paragraphs
from ..document import Document


def paragraph_lines(doc: Document) -> list[int]:
    """The input line each paragraph of `doc.text` starts on.

    Paragraphs are the kept `doc.lines`, some joined by a space (split-paragraph repair): the
    repair step records where each starts; for a document that did not go through it (other
    steps, or a repair that changed since), the repair's join is replayed to see which lines
    each paragraph took. The corpus stage needs these numbers to record the lines it removes
    like any other removal.
    """
    paragraphs = doc.text.split("\n\n") if doc.text else []
    if len(doc.paragraph_lines) == len(paragraphs):
        return list(doc.paragraph_lines)
    kept = [(number, text) for number, text in doc.lines]
    joined, _ = join_split_paragraphs([text for _, text in kept])
    if len(joined) != len(paragraphs):  # the repair changed since: best effort, in order
        joined = paragraphs
    starts: list[int] = []
    at = 0
    for paragraph in joined:
        if at >= len(kept):
            starts.append(starts[-1] if starts else 1)
            continue
        starts.append(kept[at][0])
        text = kept[at][1]
        at += 1
        while at < len(kept) and len(text) < len(paragraph):
            text = f"{text} {kept[at][1]}"
            at += 1
    return starts


def corpus_row(doc: Document) -> dict:
    return {
        "id": doc.id, "title": doc.title, "text": doc.text,
        "published": doc.published, "published_utc_offset": doc.published_utc_offset,
        "published_from": doc.extra.get("published_from"),
        "author": doc.author, "authors": doc.authors, "credits": doc.credits,
        "url": doc.url, "source": doc.extra.get("source"), "sitename": doc.extra.get("sitename"),
        "description": doc.extra.get("description"), "tags": doc.extra.get("tags") or [],
        "fetched": doc.extra.get("fetched"), "extracted_by": doc.extra.get("extracted_by"),
        "language": doc.language,
        "word_count": doc.extra.get("word_count"), "content_hash": doc.extra.get("content_hash"),
        "removed_lines": len(doc.removals), "paragraph_lines": paragraph_lines(doc),
        "repairs": doc.repairs, "duplicate_ids": [], "duplicate_sources": [], "duplicate_urls": [],
        "provenance": doc.provenance,
    }


def corpus_table(docs: list[Document]) -> pa.Table:
    """Rows as Arrow, typed by the schema but not yet validated (nulls allowed everywhere)."""
    schema = arrow_schema(Corpus)
    loose = pa.schema([field.with_nullable(True) for field in schema])
    rows = [corpus_row(doc) for doc in docs]
    return pa.Table.from_pylist(rows, schema=loose)


def removals_table(docs: list[Document]) -> pa.Table:
    rows = [{"id": doc.id, "line": r.line, "rule": r.rule, "family": r.family, "text": r.text,
             "score": r.score}
            for doc in docs for r in doc.removals]
    return pa.Table.from_pylist(rows, schema=arrow_schema(Removals))


def reject_row(doc: Document, reason: str, detail: str, checks: list[str] | None = None) -> dict:
    return {"id": doc.id, "provenance": doc.provenance, "reason": reason, "checks": checks or [],
            "detail": detail, "raw": doc.raw or None}


def rejects_table(rows: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=arrow_schema(Rejects))
