"""The vectorised schema checks (schemas/checks.py) give exactly the per-row Python answers."""
from __future__ import annotations

import re

import pyarrow as pa
from ftfy.badness import is_bad
from hypothesis import example, given, settings
from hypothesis import strategies as st

from newsclean.schemas.checks import mojibake_candidates, mojibake_free, mojibake_needles, re2_equivalent, regex_absent
from newsclean.schemas.corpus import MARKER_LINES, _marker_pattern

needles = mojibake_needles()
NEEDLE_CHARS = sorted(needles[0] | needles[1]) if needles else []


def slow_mojibake_free(text: str) -> bool:
    return "\ufffd" not in text and not is_bad(text)


def mojibake(text: str, encoding: str) -> str:
    """UTF-8 bytes read as another code page: the damage ftfy exists to detect."""
    return text.encode("utf-8").decode(encoding, errors="ignore")


def test_needles_are_proven_for_this_ftfy():
    # None would mean: ftfy's regex changed shape and every text goes to is_bad (still correct)
    assert needles is not None
    singles, pair_chars = needles
    assert all(ord(c) >= 0x80 for c in singles | pair_chars)


# Arrow strings are UTF-8: no lone surrogates (the pipeline never publishes one)
any_char = st.characters(exclude_categories=("Cs",))
news_alphabet = st.one_of(any_char, st.sampled_from(NEEDLE_CHARS),
                          st.sampled_from(list("aeé AZ.,!?\n\u00a0’“”—–«»€£°")))
texts = st.one_of(
    st.text(),
    st.text(alphabet=news_alphabet),
    st.builds(mojibake, st.text(alphabet=news_alphabet), st.sampled_from(["cp1252", "latin-1", "cp1251",
                                                                           "cp1253", "mac_roman"])),
    st.builds(lambda a, b, c: a + mojibake(b, "cp1252") + c, st.text(), st.text(alphabet=news_alphabet),
              st.text()),
)


@settings(max_examples=1500, deadline=None)
@given(texts)
@example("café")
@example(mojibake("café — “quoted” über", "cp1252"))
@example(mojibake("naïve façade", "latin-1"))
@example("Ã ")
@example("œ.")
@example("broken \ufffd char")
def test_mojibake_fast_path_equals_ftfy(text):
    assert mojibake_free([text]) == [slow_mojibake_free(text)]
    if is_bad(text):  # the pre-check is a necessary condition of is_bad
        assert mojibake_candidates([text]) == [True]


def test_mojibake_free_on_a_column_with_nulls():
    column = pa.array(["fine text", None, mojibake("café", "cp1252"), "x\ufffdy", ""], pa.string())
    assert mojibake_free(column) == [True, True, False, False, True]


# ---------------------------------------------------------------- marker lines

FRAGMENTS = ["advertisement", "ADVERTISEMENT", "[ad_12]", "[ /ad_3 ]", "[ad_\u0663]", "source link",
             "ſource link", "Source Lin\u212a", "please enter your comment!", "Leave a Reply",
             "add a comment", "post navigation", "You may also like", "related posts", "Also read: x",
             "read also — y", "image source: z", "#one #two", "#a\u00a0#b", "#only", "İmage source:",
             "ımage source:", "\n", "\n\n", " ", "\t", "\u2003", "\u00a0", "\r", "\x1c", "text", ":", "#"]
marker_texts = st.one_of(st.text(), st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=3)),
                                              max_size=8).map("".join))


@settings(max_examples=1500, deadline=None)
@given(marker_texts, st.sets(st.sampled_from(sorted(MARKER_LINES))))
def test_marker_lines_re2_equals_python(text, families):
    pattern = _marker_pattern(tuple(f for f in MARKER_LINES if f in families))
    if pattern is None:
        return
    assert re2_equivalent(pattern.pattern, pattern.flags) is not None
    assert regex_absent([text], pattern) == [pattern.search(text) is None]


def test_marker_lines_examples():
    pattern = _marker_pattern(tuple(MARKER_LINES))
    column = pa.array(["Body.\n\nAdvertisement\n\nMore.", "Body only.", None, "x\n  #tag1 #tag2  \ny",
                       "#one", "ſource link"], pa.string())
    assert regex_absent(column, pattern) == [False, True, True, False, True, False]


@given(st.text(max_size=20))
def test_untranslatable_patterns_fall_back_to_python(text):
    pattern = re.compile(r"(a)\1|\bword\b")  # back-reference and \b: no RE2 form
    assert re2_equivalent(pattern.pattern, pattern.flags) is None
    assert regex_absent([text], pattern) == [pattern.search(text) is None]
