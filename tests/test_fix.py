"""Text repair: the ftfy configuration, and the fast path proven equal to plain ftfy."""
from __future__ import annotations

import ftfy
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsclean.cleaning.fix import SAFE_CHARS, fix_text_fast, ftfy_config, normalise_spaces, repair, repair_in_rounds
from newsclean.options import FixOptions

CONFIG = ftfy_config(FixOptions())
NEWS_WORDS = ["Blinken’s", "“spy balloon”", "café", "naïve", "Zürich", "—", "…", "&amp;", "&#8217;",
              "\u00a0", "«", "»", "Home » World", "\r\n", "\r", "â€™\r\n", "Ã©\r\n", "\n", " ", "Ã©", "â€™", "â€œ", "\x1b[1m", "ﬁ", "ＬＯＵＤ", "\u200b", "\x85"]


def mojibake(text: str) -> str:
    return text.encode("utf-8").decode("cp1252", errors="replace")


text_with_mojibake = st.one_of(
    st.text(),
    st.text(alphabet=SAFE_CHARS),
    st.lists(st.sampled_from(NEWS_WORDS) | st.text(max_size=8), max_size=30).map("".join),
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FF)).map(mojibake),
    st.lists(st.text(max_size=20).map(mojibake) | st.text(max_size=20), max_size=10).map("\n".join),
)


@settings(max_examples=600, deadline=None)
@given(text_with_mojibake)
def test_fast_path_equals_plain_ftfy(text):
    assert fix_text_fast(text) == ftfy.fix_text(text, CONFIG)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=SAFE_CHARS))
def test_safe_characters_are_never_changed_by_ftfy(text):
    assert ftfy.fix_text(text, CONFIG) == text


ENTITY_PIECES = ["&amp;", "&#8217;", "&#x2019;", "&eacute;", "&EACUTE;", "&lt;", "&gt;", "&nbsp;",
                 "&amp;amp;", "&#195;&#169;", "&#128;", "&#0;", "&#xD800;", "&not", "&notin;", "AT&T",
                 "&#10;", "&#13;", "&hellip;", "&ldquo;", "&", ";", "#", "x", " ", "\n", "Q&A", "’"]
text_with_entities = st.lists(st.sampled_from(ENTITY_PIECES) | st.text(alphabet=SAFE_CHARS, max_size=6),
                              max_size=25).map("".join)


@settings(max_examples=1000, deadline=None)
@given(text_with_entities)
def test_entity_fast_path_equals_plain_ftfy(text):
    """Lines whose only unsafe character is "&" are decoded without ftfy when that is all ftfy
    would do: entities that decode to unsafe text, nest or mean mojibake still go to ftfy."""
    assert fix_text_fast(text) == ftfy.fix_text(text, CONFIG)


@pytest.mark.parametrize("options", [FixOptions(uncurl_quotes=True), FixOptions(normalization="NFKC"),
                                     FixOptions(unescape_html=False)], ids=["uncurl", "nfkc", "no-unescape"])
@settings(max_examples=150, deadline=None)
@given(text=st.one_of(text_with_mojibake, text_with_entities))
def test_fast_path_follows_other_configurations(options, text):
    """A user's own ftfy settings may make "safe" characters unsafe: the result is still ftfy's."""
    assert fix_text_fast(text, options) == ftfy.fix_text(text, ftfy_config(options))


def test_fast_path_splits_segments_like_ftfy():
    small = FixOptions(max_decode_length=7)
    text = "Blinkenâ€™s visit\nabcdefghijklmnopâ€™s\n" * 3
    assert fix_text_fast(text, small) == ftfy.fix_text(text, ftfy_config(small))


@settings(max_examples=400, deadline=None)
@given(st.integers(min_value=2, max_value=12),
       st.lists(st.sampled_from(["a", "x y", "é", "\r\n", "\r", "\n", "\r\r\n", "â€™", "Ã©", "»"]),
                max_size=14).map("".join))
def test_fast_path_equals_plain_ftfy_when_lines_are_cut(limit, text):
    """Lines longer than max_decode_length are cut where ftfy cuts them, CRLF included."""
    small = FixOptions(max_decode_length=limit)
    assert fix_text_fast(text, small) == ftfy.fix_text(text, ftfy_config(small))


def test_configuration_keeps_quotes_and_width_fixes_mojibake_and_entities():
    assert fix_text_fast("“spy balloon” it’s") == "“spy balloon” it’s"
    assert fix_text_fast("ＬＯＵＤ") == "ＬＯＵＤ"
    assert fix_text_fast("Blinkenâ€™s visit") == "Blinken’s visit"
    assert fix_text_fast("Tom &amp; Jerry&#8217;s") == "Tom & Jerry’s"
    assert fix_text_fast("a\r\nb") == "a\nb"
    assert fix_text_fast("ﬂubber") == "flubber"


def test_spaces_are_normalised_without_changing_the_line_count():
    text = "  One\u00a0two\t three  \n\u200bfour.\u200b five\u2009six \n\n"
    fixed = normalise_spaces(text)
    assert fixed == "One two three\nfour. five six\n\n".strip(" ")
    assert fixed.count("\n") == text.count("\n")


def test_every_whitespace_character_but_the_line_break_becomes_a_space():
    """A line of form feeds or separators is blank, not a one-character headline."""
    spaces = "".join(c for c in map(chr, range(0x110000)) if c.isspace() and c not in "\n\r")
    assert normalise_spaces(f"a{spaces}b\n{spaces}\nc") == "a b\n\nc"


@pytest.mark.parametrize("separator", ["\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x1f"])
def test_control_characters_that_separate_words_keep_them_apart(separator):
    """ftfy deletes C0 controls; a vertical tab (Word's soft break) between sentences must not
    glue them, and a line of form feed is blank."""
    text = f"He said so in a statement.{separator}The vote is on Friday.\n{separator}\nNext line."
    assert repair(text) == "He said so in a statement. The vote is on Friday.\n\nNext line."


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from(["word", " ", "  ", ".", ",", ";", ":", "!", "?", "”", ")", "\n", "a"]),
                max_size=30).map("".join))
def test_space_before_mark_removal_equals_its_first_form(text):
    """The spaces-only pattern (fast: no template per match) removes what the pattern that
    captured the mark and put it back did."""
    import re

    from newsclean.cleaning.repair import SPACE_BEFORE_MARK
    first_form = re.compile(r"(?<=[\w\"”’)]) +([,.;:!?])(?=\s|$)")
    assert SPACE_BEFORE_MARK.sub("", text) == first_form.sub(r"\1", text)


def _normalise_spaces_by_regex(text: str) -> str:
    """normalise_spaces as first written: the definitions, one regex each."""
    from newsclean.cleaning.fix import INVISIBLE, ODD_SPACES, SPACE_RUNS

    text = SPACE_RUNS.sub(" ", ODD_SPACES.sub(" ", INVISIBLE.sub("", text)))
    if " \n" in text or "\n " in text:
        text = "\n".join(line.strip(" ") for line in text.split("\n"))
    return text.strip(" ")


def test_odd_spaces_are_every_python_space_but_the_line_breaks():
    import sys

    from newsclean.cleaning.fix import ODD_SPACE_CHARS

    spaces = {chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()}
    assert set(ODD_SPACE_CHARS) == spaces - {" ", "\n", "\r"} and len(set(ODD_SPACE_CHARS)) == len(ODD_SPACE_CHARS)
    assert ODD_SPACE_CHARS[:7].isascii() and not any(c.isascii() for c in ODD_SPACE_CHARS[7:])


spacey_text = st.lists(st.sampled_from([" ", "  ", "\n", "\t", "\u00a0", "\u2009", "\u3000", "\x0b", "\x1f", "\x85",
                                        "\u200b", "\u00ad", "\ufeff", "a", "bc", "’", "é", "\r"]) | st.text(max_size=5),
                       max_size=30).map("".join)


@settings(max_examples=1500, deadline=None)
@given(st.one_of(spacey_text, text_with_mojibake))
def test_normalise_spaces_equals_the_regex_definition(text):
    assert normalise_spaces(text) == _normalise_spaces_by_regex(text)


@pytest.mark.parametrize("options", [FixOptions(), FixOptions(uncurl_quotes=True)], ids=["default", "uncurl"])
@settings(max_examples=800, deadline=None)
@given(text=st.one_of(spacey_text, text_with_mojibake, text_with_entities,
                      st.text(alphabet=SAFE_CHARS + "\u00a0\u2009\x0b\x1f\x85\u200b"),
                      st.lists(st.sampled_from(["  ", " \n", "\n ", "\u00a0", "a", "’", "\n"]), max_size=20).map("".join)),
       given_repairs=st.sampled_from([[], ["whitespace"], ["ftfy"]]))
def test_repair_equals_its_rounds(options, text, given_repairs):
    """The one-pass path for text of safe characters gives the text and the repairs the rounds give."""
    fast, rounds = list(given_repairs), list(given_repairs)
    assert repair(text, options, fast) == repair_in_rounds(text, options, rounds)
    assert fast == rounds
