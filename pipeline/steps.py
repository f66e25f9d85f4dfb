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
go on marks the document rejected, and the later steps skip it. A document whose steps take
longer than its time budget is rejected too (`time_limit`).
"""
from __future__ import annotations

import logging
from typing import Callable, Protocol

from .cleaning.boilerplate import StripBoilerplate
from .cleaning.fix import FixText, RecordDamagedLines
from .cleaning.repair import RepairText
from .document import Document
from .extract.html import ExtractHtml
from .extract.limits import can_limit_time, cpu_alarm
from .metadata.extract import ExtractMetadata
from .options import Options
from .readers.jsonl import DecodeRow

log = logging.getLogger(__name__)


class Step(Protocol):
    """A document in, the document out. A step that does better on a whole batch may also have
    `prepare(docs)`, called before its per-document calls, and `forget()` (see `_prepare`)."""

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


class OverBudget(BaseException):
    """A document's time budget ran out. Not an Exception, so that neither a step's own handlers
    nor HTML extraction's (TimeLimitExceeded) take it for theirs."""


def apply_steps(doc: Document, steps: list[Step], seconds_per_document: float | None = None) -> Document:
    """Run the steps in order; a step that raises quarantines the document, never the run, and so
    does running out of `seconds_per_document` (see `apply_steps_to_batch`)."""
    return apply_steps_to_batch([doc], steps, seconds_per_document)[0]


def apply_steps_to_batch(docs: list[Document], steps: list[Step],
                         seconds_per_document: float | None = None) -> list[Document]:
    """The same as apply_steps on each document, one step over the whole batch at a time: a
    step's patterns and model stay in the CPU caches (about 20 % faster than document by
    document), and every document gets the same result.

    With `seconds_per_document` (options.limits), a document is quarantined as `time_limit` once
    its steps have used that much CPU time, here or in a worker process alike. It is the last
    resort, not the guarantee: the guarantee is that no step's work can blow up (linear-time
    patterns, tests/test_safety_patterns.py; size limits), so a document's result depends on its
    text alone. A budget depends on the machine: CPU time, not the wall clock, so the load of the
    machine does not push a document over, but a slower processor could, for a document within a
    few times of the budget; the default (20 s) is over a thousand times a news article's ~10 ms.
    """
    docs = list(docs)
    if seconds_per_document is None or not can_limit_time():  # signals reach the main thread only
        for step in steps:
            _prepare(step, docs)
            docs = [doc if doc.rejection is not None else _run_step(step, doc) for doc in docs]
        return docs
    left = [float(seconds_per_document)] * len(docs)  # CPU seconds each document has left
    with cpu_alarm(OverBudget) as arm:
        for step in steps:
            try:
                arm(seconds_per_document)
                _prepare(step, docs)
            except OverBudget:  # one document's budget for the batch: past it, each does its own work
                step.forget()
            finally:
                arm(0)
            for i, doc in enumerate(docs):
                if doc.rejection is not None:
                    continue
                try:
                    if left[i] <= 0:
                        raise OverBudget
                    try:
                        arm(left[i])
                        docs[i] = _run_step(step, doc)
                    finally:
                        left[i] = arm(0)
                except OverBudget:
                    log.warning("document %s: over its time budget in %s", doc.id, step.name)
                    doc.reject("time_limit", f"cleaning took more than {seconds_per_document:g} s of "
                               f"CPU time (limits.seconds_per_document); stopped in {step.name}")
    return docs


def _prepare(step: Step, docs: list[Document]) -> None:
    """A step that does better on a batch at once (`prepare`, e.g. the body model) does that
    before its per-document calls, which then find the work done. Only a shortcut: if it fails,
    the calls do all the work, and meet the error themselves."""
    prepare = getattr(step, "prepare", None)
    if prepare is None:
        return
    try:
        prepare([doc for doc in docs if doc.rejection is None])
    except ImportError:
        raise
    except Exception as exc:  # noqa: BLE001
        log.debug("%s: preparing the batch failed (%r); each document does its own work", step.name, exc)
        step.forget()


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
