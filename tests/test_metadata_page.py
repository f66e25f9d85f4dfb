"""What an HTML page declares about itself: headline, author, date (pipeline/metadata/page.py)."""
from __future__ import annotations

import json

from lxml import html as lxml_html

from newsclean.extract.candidates import json_ld_objects
from newsclean.metadata.page import declared_author, declared_date, person_names, visible_headline


def tree(head: str = "", body: str = ""):
    return lxml_html.fromstring(f"<html><head>{head}</head><body>{body}</body></html>")


def ld(data) -> str:
    return f"<script type='application/ld+json'>{json.dumps(data)}</script>"


def test_the_visible_headline_wins_over_an_seo_title():
    assert visible_headline("Best Apps to Learn a Language in 2025 – Top 10 Picks",
                            ["Top 10: Best Language Learning App (tested by experts)"], "Site") == \
        "Top 10: Best Language Learning App (tested by experts)"


def test_the_title_is_kept_when_an_h1_says_the_same_and_cut_at_the_site_name():
    assert visible_headline("Coffee basics for beginners | Blue Cross", ["Coffee basics for beginners"],
                            "Blue Cross") == "Coffee basics for beginners"


def test_short_h1s_site_names_and_teasers_are_not_headlines():
    title = "Council approves the riverside park"
    assert visible_headline(title, ["Menu", "Follow Us"], None) == title  # too short
    assert visible_headline(title, ["Riverside Gazette Daily News"], "Riverside Gazette Daily News") == title
    assert visible_headline(title, [" ".join(["word"] * 41)], None) == title  # a paragraph, not a headline
    assert visible_headline(None, ["Council approves the riverside park"], None) == "Council approves the riverside park"
    assert visible_headline(None, [], None) is None


def test_entities_in_declared_strings_are_decoded():
    assert visible_headline("Python, SQL &#x26; AI tools for analysts", [], None) == "Python, SQL & AI tools for analysts"
    assert person_names({"name": "Maria &amp; Katerina"}) == "Maria & Katerina"


def test_json_ld_authors_as_written_then_meta_author():
    page = tree(ld({"@context": "https://schema.org", "@graph": [
        {"@type": "WebPage", "author": {"name": "Not The Article"}},
        {"@type": ["NewsArticle"], "author": [{"name": "Genevieve Carlton, Ph.D."}, {"name": "Ann Lee"},
                                              {"name": "Ann Lee"}]}]}) + "<meta name='author' content='Meta Name'>")
    assert declared_author(page, json_ld_objects(page)) == "Genevieve Carlton, Ph.D., Ann Lee"
    page = tree("<meta name='author' content='kirstin boatto'>")
    assert declared_author(page, json_ld_objects(page)) == "kirstin boatto"  # case as written
    page = tree(ld({"@type": "BlogPosting", "author": {"@id": "#me"}}) +
                "<meta name='author' content='https://example.com/me'>")
    assert declared_author(page, json_ld_objects(page)) is None  # no name, and a link is no name


def test_the_date_keeps_the_declared_time_and_offset_of_its_day():
    page = tree("<meta property='article:published_time' content='2024-03-05T09:30:00+01:00'>",
                "<article><p>Text</p></article>")
    assert declared_date(page, None) == "2024-03-05T09:30:00+01:00"
    page = tree("", "<article><time datetime='2023-06-18'>June 18, 2023</time><p>Text</p></article>")
    assert declared_date(page, None) == "2023-06-18"
    assert declared_date(tree("", "<p>No date here at all.</p>"), None) is None
