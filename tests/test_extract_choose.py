"""The per-page choice of extraction path: candidates, rules, fallbacks, and what the step records."""
from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from lxml import html as lxml_html

from newsclean import run
from newsclean.document import Document
from newsclean.extract import choose as choose_module
from newsclean.extract.candidates import element_lines, guarded, json_ld_body
from newsclean.extract.choose import pick, share_within, without_repeats, words
from newsclean.extract.html import ExtractHtml, article_paragraphs, extract, protected_lines
from newsclean.extract.limits import TimeLimitExceeded
from newsclean.options import ExtractOptions, Options
from newsclean.schemas.corpus import EXTRACTION_PATHS

PARAGRAPHS = [
    "Engineers closed the old stone bridge on Friday after the storm washed away part of the embankment "
    "that carries the road over the water on the northern side.",
    "Drivers will have to take the ring road until the repairs are finished, which the county expects to "
    "take about a week if the weather allows crews to work through the weekend.",
    "The county said the bridge would reopen to cyclists and walkers first, once the engineers have "
    "checked that the remaining stones are safe to carry the load of a crowd.",
]

DECLARED = [
    "The school board approved a longer lunch break for every primary school in the district on Monday, "
    "after parents and teachers asked for more time to eat and play.",
    "The change starts after the winter holidays and adds fifteen minutes to the day, the board said, "
    "without moving the time the buses leave in the afternoon.",
]


def page(body: str, head: str = "") -> str:
    return f"<!DOCTYPE html><html lang='en'><head><title>Storm closes the old bridge</title>{head}</head>" \
           f"<body><nav><a href='/'>Home</a> <a href='/news'>News</a></nav>{body}" \
           "<footer><p>© 2024 Riverside Gazette. All rights reserved.</p></footer></body></html>"


def article(paragraphs=PARAGRAPHS) -> str:
    return "<article><h1>Storm closes the old bridge</h1>" + "".join(f"<p>{p}</p>" for p in paragraphs) + \
        "</article>"


def test_element_lines_break_at_blocks_and_skip_scripts():
    tree = lxml_html.fromstring("<div>Intro <b>bold</b> text<p>One</p>tail<ul><li>a</li><li>b</li></ul>"
                                "<script>var x = 1;</script>line<br>after</div>")
    assert element_lines(tree) == ["Intro bold text", "One", "tail", "a", "b", "line", "after"]


def test_a_repeated_paragraph_is_kept_once_and_short_refrains_stay():
    long_line = "A paragraph long enough to be a copy of the article."
    text = "\n".join(["Share", long_line, "Share", long_line.upper(), "End"])
    assert without_repeats(text) == "\n".join(["Share", long_line, "Share", "End"])


def test_share_within_counts_repeats():
    assert share_within(words("a a b"), words("a b")) == pytest.approx(2 / 3)
    assert share_within(words(""), words("a")) == 0.0


def test_json_ld_body_takes_the_longest_declared_body_as_lines():
    data = [{"@type": "WebPage"}, {"@graph": [{"@type": "NewsArticle", "articleBody": "Short."},
                                             {"@type": "NewsArticle", "articleBody": "One line.\n\nTwo  lines."}]}]
    tree = lxml_html.fromstring(page("<div></div>", f"<script type='application/ld+json'>{json.dumps(data)}</script>"
                                     "<script type='application/ld+json'>{broken</script>"))
    assert json_ld_body(tree) == "One line.\nTwo lines."


def test_a_failing_path_gives_none_but_a_time_limit_goes_through():
    assert guarded("broken", lambda: 1 / 0) is None

    def stalls():
        raise TimeLimitExceeded("took longer than 1 s")
    with pytest.raises(TimeLimitExceeded):
        guarded("slow", stalls)


def test_a_plain_article_page_takes_trafilatura_and_records_the_path():
    result, tree = extract(page(article()), None, ExtractOptions())
    assert result.path == "trafilatura"
    assert all(p in result.text for p in PARAGRAPHS)
    doc = ExtractHtml(ExtractOptions())(Document(id="p", raw="", provenance="p.html", html=page(article())))
    assert doc.rejection is None
    assert doc.extra["extracted_by"] == "trafilatura" and doc.extra["extraction_reason"]
    lines = doc.raw.split("\n")
    assert [lines[n - 1] for n in doc.extra["protected_lines"]] == PARAGRAPHS


def test_protected_lines_are_only_article_paragraphs():
    tree = lxml_html.fromstring(page(article() + "<p>Outside the article</p>"))
    paragraphs = article_paragraphs(tree)
    text = "\n".join(["Storm closes the old bridge", PARAGRAPHS[0], "Outside the article", PARAGRAPHS[1]])
    assert protected_lines(text, paragraphs) == [2, 4]


def test_when_trafilatura_finds_nothing_the_next_path_that_finds_text_is_taken():
    """The fallback order after trafilatura: the JSON-LD body, then readability and jusText when they
    find more than a footer."""
    declared = json.dumps({"@type": "NewsArticle", "articleBody": "\n\n".join(PARAGRAPHS)})
    html = page("<div id='app'></div>", f"<script type='application/ld+json'>{declared}</script>")
    tree = lxml_html.fromstring(html)
    result = choose_module._fallback(tree, None, None)
    assert result.path == "json_ld" and result.text == "\n".join(PARAGRAPHS)
    assert choose_module._fallback(tree, "Recall text", None).path == "trafilatura_recall"
    assert choose_module._fallback(lxml_html.fromstring(page("<div></div>")), None, None) is None


def test_the_readability_rule_needs_a_second_path_to_agree():
    """Readability's extra words count only when the recall mode or jusText finds them too."""
    balanced = "\n".join(PARAGRAPHS)
    extra = [f"List item {i} the balanced mode pruned from the body of this article" for i in range(9)]
    readable = "\n".join([*PARAGRAPHS, *extra])
    assert pick(balanced, balanced, readable, lambda: None)[1] == "trafilatura"
    assert pick(balanced, balanced, readable, lambda: "\n".join(extra))[1] == "readability"
    assert pick(balanced, None, readable, lambda: readable)[0] == readable
    # a readability text that drops part of the chosen text is not taken, however long
    other = "\n".join([PARAGRAPHS[0], *extra, *extra])
    assert pick(balanced, balanced, other, lambda: other)[1] == "trafilatura"


def test_the_recall_mode_is_taken_when_it_holds_the_balanced_text_and_more():
    balanced = "\n".join(PARAGRAPHS[:2])
    recall = "\n".join(PARAGRAPHS)
    assert pick(balanced, recall, None, lambda: None)[:2] == (recall, "trafilatura_recall")
    assert pick(recall, balanced, None, lambda: None)[1] == "trafilatura"  # shorter: not taken
    unrelated = "\n".join([PARAGRAPHS[2]] * 4)
    assert pick(balanced, unrelated, None, lambda: None)[1] == "trafilatura"  # not a superset


def test_pages_through_run_publish_what_a_path_finds_and_reject_a_page_without_text(tmp_path):
    """The public entry point: an article page and a page whose body is only declared in JSON-LD
    are published; a page where no path finds text is rejected with its reason."""
    declared = json.dumps({"@type": "NewsArticle", "articleBody": "\n\n".join(DECLARED)})
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "article.html").write_text(page(article()), "utf-8")
    (pages / "declared.html").write_text(
        f"<html><head><script type='application/ld+json'>{declared}</script></head><body></body></html>", "utf-8")
    (pages / "blank.html").write_text("<html><head><title>x</title></head><body></body></html>", "utf-8")
    out = tmp_path / "out"
    run([pages], out, Options())
    rows = {row["provenance"].split("/")[-1]: row for row in pq.read_table(out / "data").to_pylist()}
    rejects = {row["provenance"].split("/")[-1]: row for row in pq.read_table(out / "rejects").to_pylist()}
    assert set(rows) == {"article.html", "declared.html"}, rejects
    assert all(p in rows["article.html"]["text"] for p in PARAGRAPHS)
    assert all(p in rows["declared.html"]["text"] for p in DECLARED)
    assert rejects["blank.html"]["reason"] == "html_no_text"
    # the path is published for audit (trafilatura reads a JSON-LD body itself when the page has no other)
    assert rows["article.html"]["extracted_by"] == "trafilatura"
    assert rows["declared.html"]["extracted_by"] in EXTRACTION_PATHS


def test_every_path_the_chooser_names_is_one_the_schema_accepts():
    html = page(article())
    tree = lxml_html.fromstring(html)
    named = {pick("a", None, None, lambda: None)[1], pick("a", "a b c", None, lambda: None)[1],
             pick("a", None, "a b c", lambda: "b c")[1], extract(html, None, ExtractOptions())[0].path,
             choose_module._fallback(tree, "x", None).path}
    named |= {path for path, _, _ in choose_module.FALLBACKS}
    assert named <= set(EXTRACTION_PATHS) and len(named) == len(EXTRACTION_PATHS)


def test_utf8_read_as_latin1_is_repaired_before_trafilatura_drops_its_control_characters():
    broken = [p.replace("the", "the\u00e2\x80\x99s", 1) for p in PARAGRAPHS]  # ’ as UTF-8 read as Latin-1
    doc = ExtractHtml(ExtractOptions())(Document(id="p", raw="", provenance="p.html", html=page(article(broken))))
    assert doc.rejection is None
    assert all(p.replace("the", "the\u2019s", 1) in doc.raw for p in PARAGRAPHS)
    assert "\u00e2" not in doc.raw


def test_html_pages_publish_the_same_bytes_whatever_the_workers_and_batches(tmp_path):
    """Every path is a pure function of the page: one worker or two, batches of one or three."""
    import dataclasses

    pages = tmp_path / "pages"
    pages.mkdir()
    declared = json.dumps({"@type": "NewsArticle", "author": {"name": "Jane Doe"},
                           "articleBody": "\n\n".join(DECLARED)})
    (pages / "article.html").write_text(page(article()), "utf-8")
    (pages / "declared.html").write_text(
        f"<html><head><script type='application/ld+json'>{declared}</script></head><body></body></html>", "utf-8")
    (pages / "blank.html").write_text("<html><body></body></html>", "utf-8")
    releases = []
    for number, (workers, batch_docs) in enumerate([(1, 1), (2, 3)]):
        out = tmp_path / f"out-{number}"
        run([pages], out, dataclasses.replace(Options(), workers=workers, batch_docs=batch_docs))
        releases.append({p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()})
    assert releases[0] == releases[1]
