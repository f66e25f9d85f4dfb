"""Running the steps a batch at a time gives every document what running them one document at
a time gives, a step that raises included (the document is quarantined, the others go on)."""
from __future__ import annotations

import copy
import dataclasses
from pathlib import Path

import pytest

from newsclean.document import Document
from newsclean.options import Options
from newsclean.readers import read_documents
from newsclean.steps import apply_steps, apply_steps_to_batch, document_steps

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


@dataclasses.dataclass(frozen=True)
class CopiesTheDocument:
    """A step that returns a new Document instead of the one it was given."""

    name: str = "copies"

    def __call__(self, doc: Document) -> Document:
        return dataclasses.replace(doc, extra={**doc.extra, "copied": True})


@dataclasses.dataclass(frozen=True)
class FailsOnMarker:
    """A step that raises on documents holding a marker, like a bug met on odd input."""

    name: str = "fails_on_marker"

    def __call__(self, doc: Document) -> Document:
        if "BOOM" in doc.text:
            raise ValueError("cannot handle this")
        return doc


def _documents() -> list[Document]:
    docs = list(read_documents(sorted(SEEDS.glob("*.txt"))))
    extra = [Document(id="boom", raw="Headline here\n\nThe BOOM line is a full sentence of body text.",
                      provenance="test"),
             Document(id="empty", raw="[ad_1]\n\nSource link", provenance="test")]
    return docs + extra


def test_batch_at_a_time_equals_document_at_a_time():
    steps = document_steps(Options())
    steps.insert([step.name for step in steps].index("fix_text") + 1, FailsOnMarker())  # sees doc.text
    steps.insert(1, CopiesTheDocument())
    docs = _documents()
    one_by_one = [apply_steps(doc, steps) for doc in copy.deepcopy(docs)]
    batched = apply_steps_to_batch(copy.deepcopy(docs), steps)
    assert batched == one_by_one  # every field of every document
    assert all(d.extra.get("copied") for d in batched)
    boom = next(d for d in batched if d.id == "boom")
    assert boom.rejection.reason == "step_failed" and "fails_on_marker" in boom.rejection.detail
    assert next(d for d in batched if d.id == "empty").rejection.reason == "no_text"
    assert sum(d.rejection is None for d in batched) == len(docs) - 2


def test_a_broken_install_stops_the_run_instead_of_rejecting_every_document():
    @dataclasses.dataclass(frozen=True)
    class NeedsMissingModule:
        name: str = "needs_missing_module"

        def __call__(self, doc: Document) -> Document:
            import newsclean_module_that_is_not_installed  # noqa: F401
            return doc

    with pytest.raises(ImportError):
        apply_steps_to_batch(_documents(), [NeedsMissingModule()])


def test_paragraph_starts_recorded_by_the_repair_equal_the_replayed_join():
    """corpus_row takes each paragraph's first input line from the repair step; replaying the
    join (what it did before, and still does for documents the repair did not see) agrees."""
    from newsclean.publish.tables import paragraph_lines

    seeds = list(read_documents(sorted(SEEDS.glob("*.txt"))))
    split = []  # the seeds again with body lines broken mid-sentence, as scrapers do
    for doc in seeds:
        lines = []
        for line in doc.raw.split("\n"):
            words = line.split(" ")
            cut = next((i for i in range(len(words) // 2, len(words)) if words[i][:1].islower()), None)
            if len(words) > 12 and cut is not None and not words[cut - 1].endswith((".", ":", "?", "!")):
                lines += [" ".join(words[:cut]), " ".join(words[cut:])]
            else:
                lines.append(line)
        split.append(Document(id=doc.id + "-split", raw="\n".join(lines), provenance="test"))
    done = [doc for doc in apply_steps_to_batch(seeds + split, document_steps(Options()))
            if doc.rejection is None]
    assert len(done) == 2 * len(seeds)
    assert any(len(doc.paragraph_lines) < len(doc.lines) for doc in done)  # some paragraphs were joined
    for doc in done:
        recorded = paragraph_lines(doc)
        replayed = paragraph_lines(dataclasses.replace(doc, paragraph_lines=[]))
        assert recorded == replayed == doc.paragraph_lines
