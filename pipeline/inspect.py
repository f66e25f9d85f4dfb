"""`newsclean inspect DIR ID`: one document of a release as a reader wants to see it. A published
one: its lines in input order, the removed ones struck through and labelled with their rule and
family, the kept ones as published (one per paragraph), then its metadata. A rejected one: its
reason, failed checks, detail and input. A folded copy: the article it was folded into."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyarrow.dataset as ds

METADATA = ("title", "published", "published_utc_offset", "published_from", "author", "credits", "url",
            "source", "sitename", "language", "word_count", "removed_lines", "repairs", "duplicate_ids",
            "content_hash", "provenance")


class NotFound(LookupError):
    """No document with that id in the release."""


@dataclass(frozen=True)
class ShownLine:
    line: int  # 1-based, in the input text (as removals/ and paragraph_lines count)
    text: str
    rule: str | None = None  # None: kept (the paragraph as published)
    family: str | None = None
    score: float | None = None


def _rows(release: Path, table: str, doc_id: str) -> list[dict]:
    folder = release / table
    if not folder.is_dir():
        return []
    return ds.dataset(folder, format="parquet").to_table(filter=ds.field("id") == doc_id).to_pylist()


def document_lines(row: dict, removals: list[dict]) -> list[ShownLine]:
    """The published paragraphs at the input lines they start on, and the removed lines at theirs."""
    paragraphs = row["text"].split("\n\n") if row["text"] else []
    shown = [ShownLine(line, text) for line, text in zip(row["paragraph_lines"], paragraphs)]
    shown += [ShownLine(r["line"], r["text"], r["rule"], r["family"], r["score"]) for r in removals]
    return sorted(shown, key=lambda item: (item.line, item.rule is None))


def find(release: Path, doc_id: str) -> tuple[str, dict, list]:
    """("published", row, lines) | ("rejected", row, []) | ("folded", duplicates row, []).
    Raises NotFound."""
    if rows := _rows(release, "data", doc_id):
        return "published", rows[0], document_lines(rows[0], _rows(release, "removals", doc_id))
    if rows := _rows(release, "rejects", doc_id):
        return "rejected", rows[0], []
    if rows := _rows(release, "duplicates", doc_id):
        return "folded", rows[0], []
    raise NotFound(f"no document {doc_id!r} in {release}: not in data/, rejects/ nor duplicates/")


def render(release: Path, doc_id: str, console) -> None:
    """Print the document on `console` (rich: colour on a terminal, plain text otherwise)."""
    from rich.text import Text

    kind, row, lines = find(release, doc_id)
    console.print(Text(f"{doc_id}: {kind}", style="bold"))
    if kind == "rejected":
        for key in ("reason", "checks", "detail", "provenance"):
            console.print(Text(f"{key}: {row[key]}"))
        console.print(Text("input:", style="bold"))
        console.print(Text(row["raw"] if row["raw"] is not None else "(not decodable)"))
        return
    if kind == "folded":
        console.print(Text(f"folded into {row['canonical_id']} ({row['kind']} copy, similarity "
                           f"{row['similarity']:.3f}, cluster {row['cluster']}); still published: "
                           f"{row['in_corpus']}; read from {row['provenance']}"))
        return
    width = len(str(lines[-1].line)) if lines else 1
    for item in lines:
        text = Text(f"{item.line:>{width}} ")
        if item.rule is None:
            text.append(f"  {item.text}")
        else:
            label = f"[{item.rule}/{item.family}" + (f" {item.score:.3f}" if item.score is not None else "") + "]"
            text.append("- ", style="red")
            text.append(item.text, style="strike red" if console.is_terminal else "")
            text.append(f"  {label}", style="yellow")
        console.print(text, soft_wrap=True)
    console.print(Text("metadata:", style="bold"))
    for key in METADATA:
        if row.get(key) not in (None, [], ""):
            console.print(Text(f"  {key}: {row[key]}"), soft_wrap=True)
