"""The pipeline, in the order data flows. Reading this file tells what newsclean does to a document.

    read (pipeline/readers)            bytes -> Document(raw or html, given fields, provenance),
                                       or a JSON line's bytes still to decode (Document.row)
    0. decode_row                      JSON Lines only: the record -> raw or html, id, given fields
       extract_html                    HTML pages only: trafilatura's main text -> raw lines, page metadata
    1. fix_text                        ftfy where it can matter, spaces normalised, lines kept;
                                       a line still damaged (U+FFFD, mojibake) blanked
    2. strip_boilerplate               line rules + context rules; every removal recorded
       record_damaged_lines            fix_text's removals of damaged lines recorded beside them
    3. repair_text                     split paragraphs joined, stray punctuation, paragraphs
    4. extract_metadata                title, date, author, credits, language, counts, hash
    validate + publish (pipeline/publish)   pandera schema on each batch, Parquet out

Every step is a frozen dataclass called with a Document and returning it; a step that cannot
go on marks the document rejected, and the later steps skip it.
"""
from __future__ import annotations

import logging
from typing import Callable, Protocol

from .cleaning.boilerplate import StripBoilerplate
from .cleaning.fix import FixText, RecordDamagedLines
from .cleaning.repair import RepairText
from .document import Document
from .extract.html import ExtractHtml
from .metadata.extract import ExtractMetadata
from .options import Options
from .readers.jsonl import DecodeRow

log = logging.getLogger(__name__)


class Step(Protocol):
    name: str

    def __call__(self, doc: Document) -> Document: ...


def document_steps(options: Options) -> list[Step]:
    return [
        DecodeRow(options.input, options.limits),
        ExtractHtml(options.extract),
        FixText(options.fix),
        StripBoilerplate(options.rules),
        RecordDamagedLines(),
        RepairText(),
        ExtractMetadata(),
    ]


def apply_steps(doc: Document, steps: list[Step]) -> Document:
    """Run the steps in order; a step that raises quarantines the document, never the run."""
    for step in steps:
        if doc.rejection is not None:
            break
        doc = _run_step(step, doc)
    return doc


def apply_steps_to_batch(docs: list[Document], steps: list[Step]) -> list[Document]:
    """The same as apply_steps on each document, one step over the whole batch at a time: a
    step's patterns and model stay in the CPU caches (about 20 % faster than document by
    document), and every document gets the same result."""
    for step in steps:
        docs = [doc if doc.rejection is not None else _run_step(step, doc) for doc in docs]
    return docs


def _run_step(step: Step, doc: Document) -> Document:
    try:
        return step(doc)
    except ImportError:  # a broken install, not a bad document: stop instead of rejecting them all
        raise
    except Exception as exc:  # one bad document must not stop a corpus run
        log.warning("document %s failed in %s: %r", doc.id, step.name, exc)
        doc.reject("step_failed", f"{step.name} raised {type(exc).__name__}: {exc}")
        return doc


StepFactory = Callable[[Options], list[Step]]
