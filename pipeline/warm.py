"""Warm-up for worker processes: import the pipeline and build what every batch needs once.

The executor imports this module in the process it forks the workers from (the run's own
process, or a forkserver; see executor.py), so each worker starts with pandas, pandera, pyarrow,
ftfy, the compiled rules, the schema's RE2 patterns and the language model already in memory,
shared copy-on-write with its siblings, instead of paying for them once per worker. Importing it
has no other effect.
"""
from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def warm() -> None:
    """Build the per-process caches a default run uses (each is an lru_cache: later calls hit it)."""
    from newsclean.schemas.checks import mojibake_candidate_re2, re2_equivalent
    from newsclean.schemas.corpus import MARKER_LINES, _marker_pattern, corpus_schema

    from .batch import process_batch
    from .document import Document
    from .corpus.stage import clean_and_sign  # noqa: F401
    from .metadata.language import _model
    from .options import Options
    from .run import _return_freed_memory
    from .steps import document_steps

    _return_freed_memory()
    document_steps(Options())
    mojibake_candidate_re2()
    pattern = _marker_pattern(tuple(MARKER_LINES))
    re2_equivalent(pattern.pattern, pattern.flags)
    corpus_schema()
    _model()
    # One small article through every step builds what is built on first use (the compiled line
    # rules, dateparser, signing, template counting): what each worker would otherwise pay in its
    # first batch (0.2 s, and dateparser's import in the first batch with a date).
    sample = ("Home » World\n\nCouncil approves the new river bridge\n\nBy Jane Doe\n\nJune 18, 2023\n\n"
              "The council voted on Tuesday to build a new bridge over the river, officials said.\n\n"
              "Work will start in March 2024 and last two years, the mayor told reporters.\n\nSource link")
    document = Document(id="warm-up", raw=sample, provenance="warm-up",
                        given={"url": "https://news.example/world/bridge"})
    process_batch([document], Options())


try:
    warm()
except Exception as exc:  # a warm-up that fails only costs the time it would have saved
    log.warning("worker warm-up failed (workers will load on demand): %r", exc)
