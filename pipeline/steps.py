"""The pipeline, in the order data flows. Reading this file tells what newsclean does to a document.

    read (pipeline/readers)            bytes -> Document(raw or html, given fields, provenance),
                                       or a JSON line's bytes still to decode (Document.row)
    0. decode_row                      JSON Lines only: the record -> raw or html, id, given fields
       extract_html                    HTML pages only: trafilatura's main text -> raw lines, page metadata
    1. fix_text                        ftfy where it can matter, spaces normalised, lines kept;
                                       a line still damaged (U+FFFD, mojibake) blanked
    2. strip_boilerplate               line rules + context rules, then the body model; every
                                       removal recorded
       record_damaged_lines            fix_text's removals of damaged lines recorded beside them
    3. repair_text                     split paragraphs joined, stray punctuation, paragraphs
    4. extract_metadata                title, date, author, credits, language, counts, hash
    validate + publish (pipeline/publish)   pandera schema on each batch, Parquet out

Every step is a frozen dataclass called with a Document and returning it (the body model's
step also prepares many documents at once: `_prepare`); a step that cannot go on marks the
document rejected, and the later steps skip it. A document whose steps take
longer than its time budget is rejected too (`time_limit`).
"""
from __future__ import annotations

import logging
from contextlib import nullcontext
from functools import partial
from typing import Callable, Protocol, TypeVar

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
T = TypeVar("T")
# Documents a step prepares at once (`_prepare`): enough pages to spread numpy's per-call cost
# over, few enough that what is prepared for them stays small until their calls.
PREPARED_DOCS = 64


class Step(Protocol):
    """A document in, the document out. A step that does better on many documents at once may
    also have `prepare(docs, charge)`, called before their calls, and `forget()` (`_prepare`)."""

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
    document), and every document gets the same result. A step that does better on many
    documents at once prepares PREPARED_DOCS of them at a time (`_prepare`).

    With `seconds_per_document` (options.limits), a document is quarantined as `time_limit` once
    its steps have used that much CPU time, here or in a worker process alike. It is the last
    resort, not the guarantee: the guarantee is that no step's work can blow up (linear-time
    patterns, tests/test_safety_patterns.py; size limits), so a document's result depends on its
    text alone. A budget depends on the machine: CPU time, not the wall clock, so the load of the
    machine does not push a document over, but a slower processor could, for a document within a
    few times of the budget; the default (20 s) is over a thousand times a news article's ~10 ms.
    """
    docs = list(docs)
    timed = seconds_per_document is not None and can_limit_time()  # signals reach the main thread only
    left = [float(seconds_per_document or 0)] * len(docs)  # CPU seconds each document has left
    with cpu_alarm(OverBudget) if timed else nullcontext() as arm:

        def charged(i: int, work: Callable[[], T]) -> T:
            """`work()` on document i's budget (OverBudget once it has none left)."""
            if not timed:
                return work()
            if left[i] <= 0:
                raise OverBudget
            try:
                arm(left[i])
                return work()
            finally:
                left[i] = arm(0)

        for step in steps:
            for start in range(0, len(docs), PREPARED_DOCS):
                chunk = [i for i in range(start, min(start + PREPARED_DOCS, len(docs))) if docs[i].rejection is None]
                _prepare(step, [docs[i] for i in chunk], lambda k, work: charged(chunk[k], work))
                for i in chunk:
                    try:
                        docs[i] = charged(i, partial(_run_step, step, docs[i]))
                    except OverBudget:
                        log.warning("document %s: over its time budget in %s", docs[i].id, step.name)
                        docs[i].reject("time_limit", f"cleaning took more than {seconds_per_document:g} s of "
                                       f"CPU time (limits.seconds_per_document); stopped in {step.name}")
    return docs


# What a step's `prepare` runs one document's part of its work with: `charge(k, work)` is
# `work()`, charged to the time budget of the k-th document prepared. A document out of time
# raises an Exception there (the step leaves it to its call, which quarantines it).
Charge = Callable[[int, Callable[[], T]], T]


class OutOfTime(Exception):
    """A document ran out of its time budget in a step's `prepare`."""


def _prepare(step: Step, docs: list[Document], charged: Charge) -> None:
    """A step that does better on many documents at once (`prepare`, e.g. the body model) does so
    before their calls, which then find their work done. Each document's own part of it is
    charged to that document's budget, so a document costs the same whatever its neighbours.
    Only a shortcut: if the preparation fails, the calls do all the work, and meet the error."""
    prepare = getattr(step, "prepare", None)
    if prepare is None or not docs:
        return

    def charge(k: int, work: Callable[[], T]) -> T:
        try:
            return charged(k, work)
        except OverBudget:
            raise OutOfTime(docs[k].id) from None

    try:
        prepare(docs, charge)
    except ImportError:
        raise
    except Exception as exc:  # noqa: BLE001
        log.info("%s: preparing %d documents failed (%r); each does its own work", step.name, len(docs), exc)
        getattr(step, "forget", lambda: None)()


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
