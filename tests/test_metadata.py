"""Metadata from the lines the cleaner removed: bylines, agencies in them, dates in many forms."""
from __future__ import annotations

from datetime import datetime

import pytest

from newsclean import clean_text
from newsclean.metadata.dates import parse_date
from newsclean.metadata.people import agency_in_byline, author_from_byline, credits_from_line, page_author
from newsclean.metadata.title import page_headline, strip_breadcrumb

BODY = ("Schools in three northern states will stay closed for a week as temperatures passed 46 degrees.\n"
        "Officials advised people to stay indoors between noon and four in the afternoon today.")


@pytest.mark.parametrize("line, author, agency", [
    ("by time news", "time news", None),
    ("By Jane Doe and John Roe", "Jane Doe and John Roe", None),
    ("By JANE DOE, Associated Press", "JANE DOE", "Associated Press"),
    ("By Jane Doe | Reuters", "Jane Doe", "Reuters"),
    ("By Jane Doe (Reuters)", "Jane Doe", "Reuters"),
    ("Written by Jane Doe | Updated: Jun 18, 2023, 10:32 IST", "Jane Doe", None),
    ("By Jane Doe, Ann Smith", "Jane Doe, Ann Smith", None),
    ("By Sarah Al-Ani", "Sarah Al-Ani", None),
    # an agency in the author's place is a credit, not an author
    ("By Reuters", None, "Reuters"),
    ("By The Associated Press", None, "The Associated Press"),
    ("By AP Staff", None, "AP"),
    ("Posted on June 18, 2023 by Reuters", None, "Reuters"),
    ("By Apolo Ohno", "Apolo Ohno", None),
    ("By Efe", "Efe", None),  # agency codes count only as agencies write them: EFE, ANI
    ("By Ani", "Ani", None),
    ("By EFE", None, "EFE"),
])
def test_bylines(line, author, agency):
    assert author_from_byline(line) == author
    assert agency_in_byline(line) == agency


@pytest.mark.parametrize("line, credits", [
    ("(With AP inputs)", ["AP"]),
    ("*With information from AFP and EFE", ["AFP", "EFE"]),
    ("Source: theguardian", ["theguardian"]),
    ("(With inputs from agencies)", []),
])
def test_credits(line, credits):
    assert credits_from_line(line) == credits


@pytest.mark.parametrize("text, expected", [
    ("2023-06-20 07:00:00", (datetime(2023, 6, 20, 7, 0), None)),
    ("2023-06-18T10:32:00+05:30", (datetime(2023, 6, 18, 10, 32), "+05:30")),
    ("Updated: June 18, 2023 10:32 am IST", (datetime(2023, 6, 18, 10, 32), None)),
    ("Published 10:32 AM EDT, Sun June 18, 2023", (datetime(2023, 6, 18, 10, 32), None)),
    ("Sun 18 Jun 2023 08.00 BST", (datetime(2023, 6, 18, 8, 0), None)),
    ("3 hours ago", (None, None)),  # no reference time: unknown rather than guessed
])
def test_dates_keep_the_wall_clock(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("head, author, published, credits", [
    ("By Jane Doe\nJune 18, 2023", "Jane Doe", datetime(2023, 6, 18), []),
    ("By JANE DOE, Associated Press\nPublished 10:32 AM EDT, Sun June 18, 2023", "JANE DOE",
     datetime(2023, 6, 18, 10, 32), ["Associated Press"]),
    ("Written by Jane Doe | Updated: Jun 18, 2023, 10:32 IST", "Jane Doe", datetime(2023, 6, 18, 10, 32), []),
    ("Posted by admin on June 18, 2023", "admin", datetime(2023, 6, 18), []),
    ("By Jane Doe, June 18, 2023", "Jane Doe", datetime(2023, 6, 18), []),
    ("Posted on June 18, 2023 by admin", "admin", datetime(2023, 6, 18), []),
    ("June 18, 2023 at 10:32 am by Jane Doe", "Jane Doe", datetime(2023, 6, 18, 10, 32), []),
])
def test_head_lines_fill_author_date_and_credits(head, author, published, credits):
    doc = clean_text(f"A headline about schools closing\n{head}\n{BODY}")
    assert (doc.title, doc.author, doc.published, doc.credits) == (
        "A headline about schools closing", author, published, credits)
    assert doc.text == BODY.replace("\n", "\n\n")


@pytest.mark.parametrize("title, headings, sitename, headline", [
    # the page's own H1 says where the headline ends
    ("Smartphone Basics for Older Adults: Unlocking the Digital World | Blue Cross Blue Shield",
     ["Smartphone Basics for Older Adults: Unlocking the Digital World"], None,
     "Smartphone Basics for Older Adults: Unlocking the Digital World"),
    # trailing parts that name the site, however long
    ("Coffee - University of Wisconsin-Stevens Point", [], "University of Wisconsin-Stevens Point", "Coffee"),
    ("Marathon in One Year for Beginners » Take The Magic Step®", [],
     "Take The Magic Step® | to a Healthy Lifestyle", "Marathon in One Year for Beginners"),
    ("## Hyper-Local Regolith Binding", [], None, "Hyper-Local Regolith Binding"),
    # nothing says where to cut: the title stays whole, words unchanged
    ("Climate change: 5 innovative solutions", ["Something else"], "Neste", "Climate change: 5 innovative solutions"),
    ("Apple unveils a new phone", ["Apple"], "Apple", "Apple unveils a new phone"),
    ("Microsoft's Apple strategy - Apple Insider", [], "The Verge", "Microsoft's Apple strategy - Apple Insider"),
])
def test_page_headline(title, headings, sitename, headline):
    assert page_headline(title, headings, sitename) == headline


def test_a_trail_led_by_home_is_stripped_from_the_headline():
    assert strip_breadcrumb("Home » World » Ferry strike ends") == "Ferry strike ends"
    assert strip_breadcrumb("Home > News > Ferry strike ends") == "Ferry strike ends"


@pytest.mark.parametrize("headline", [  # its own dashes, arrows and quotes: no trail led by "Home"
    "Home — for now — is a tent in a supermarket parking lot",
    "Home – Rhye – Album Review",
    "Messi > Ronaldo > everyone else",
    "Why Settings > Privacy > Location Services is the menu to check",
    "Les « gilets jaunes » reviennent « en force » à Paris",
    "Die »Ampel« ist am Ende, sagt »Spiegel«-Chef",
])
def test_a_headline_with_dashes_arrows_or_quotes_stays_whole(headline):
    assert strip_breadcrumb(headline) == headline


@pytest.mark.parametrize("author, expected", [
    ("Chen Zhao; Daryl Fairweather", "Chen Zhao, Daryl Fairweather"),
    ("Luke Kim December", "Luke Kim"),
    ("Haley Hoekstra • March", "Haley Hoekstra"),
    ("Theresa May", "Theresa May"),
    ("Brian May; Jun Li", "Brian May, Jun Li"),
])
def test_page_author(author, expected):
    assert page_author(author) == expected


def test_given_title_and_author_are_repaired_like_the_text():
    doc = clean_text(BODY, title="A DIY Investor\u00e2\u0080\u0099s Guide &amp; Calculator",
                     author="Jane\u00a0 Doe")
    assert doc.title == "A DIY Investor\u2019s Guide & Calculator"
    assert doc.author == "Jane Doe"


def test_an_agency_byline_above_a_person_credits_the_agency_and_names_the_person():
    doc = clean_text(f"Schools stay closed as heat passes 46 degrees\nBy Reuters\nBy Jane Doe\n{BODY}")
    assert doc.author == "Jane Doe" and doc.credits == ["Reuters"]


# ---------------------------------------------------------------- loose(): the fast form
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from newsclean.folding import NEWS_PUNCTUATION as LOOSE_PUNCTUATION  # noqa: E402
from newsclean.metadata.title import loose, loose_by_regex  # noqa: E402

loose_text = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(max_codepoint=127)),
    st.lists(st.sampled_from(list(LOOSE_PUNCTUATION) + ["A", "z", "_", "9", " ", "\t", "ß", "İ", "ﬁ", "Σ", "é",
                                                       "\u0301", "\u200b", "-", "'", "Home » World"])
             | st.text(max_size=4), max_size=25).map("".join),
)


@settings(max_examples=2000, deadline=None)
@given(loose_text)
def test_loose_equals_its_regex_definition(text):
    assert loose(text) == loose_by_regex(text)


def test_loose_punctuation_holds_no_word_character():
    assert not any(c.isalnum() or c == "_" for c in LOOSE_PUNCTUATION)
    assert all(c.casefold() == c for c in LOOSE_PUNCTUATION)
