"""Where a line ends a sentence: shared by the context rules and the comment rule."""
from __future__ import annotations

import re

TERMINAL = re.compile(r"[.!?…]['\"”’»)\]]*$")
CLOSERS = "'\"”’»)]"  # what may follow the sentence's mark in TERMINAL
SENTENCE_MARKS = (".", "!", "?", "…")


def ends_sentence(text: str) -> bool:
    """bool(TERMINAL.search(text)) without the regex trying every position of the line: the
    mark is what is left at the end once the closing quotes and brackets are stripped (`$` also
    matches before a final newline). Tested against TERMINAL in tests/test_rules.py."""
    if text.endswith("\n"):
        text = text[:-1]
    return text.rstrip(CLOSERS).endswith(SENTENCE_MARKS)
