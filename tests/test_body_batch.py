"""The body model judges a batch's pages together (`stacked`): every page's features and
probabilities are bit for bit the ones it has alone, whatever pages stand beside it, and a batch
cleaned at once gives the documents it gives one by one."""
from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import pytest

from newsclean.cleaning import boilerplate
from newsclean.cleaning.body import judge as body_judge
from newsclean.cleaning.boilerplate import StripBoilerplate
from newsclean.cleaning.body.features import page_features, stacked_features
from newsclean.cleaning.body.model import shipped_model
from newsclean.cleaning.body.pages import after_rules, case_pages, textdev_pages
from newsclean.document import Document
from newsclean.extract.limits import can_limit_time
from newsclean.options import Options
from newsclean.steps import apply_steps, apply_steps_to_batch, document_steps

REPO = Path(__file__).resolve().parent.parent
TEXTDEV = REPO.parent / "shared" / "textdev"
PAGE = REPO / "tests" / "data" / "full_page_scrape.txt"


def _pages() -> list[tuple[list[str], list[str]]]:
    """Pages as the model sees them: the lines the rules left (textdev's every 3rd page where it
    is beside the checkout, the cases and a full-page scrape), plus shapes that stress the
    stacking: no line, one line (each of the scrape's), the same line repeated, a page far longer than the rest."""
    labelled = case_pages(REPO / "tests" / "cases")
    if (TEXTDEV / "labels.jsonl").exists():
        labelled += textdev_pages(TEXTDEV)[::3]
    elif os.environ.get("CI") == "true":
        pytest.fail("../shared/textdev is missing beside the checkout")
    pages = []
    for page in labelled:
        standing, _ = after_rules(page)
        pages.append(([line.text for line in standing], [line.loose for line in standing]))
    scrape = [line for line in PAGE.read_text(encoding="utf-8").splitlines() if line]
    pages += [([], []), (["Reply"] * 5, ["reply"] * 5), (scrape * 40, scrape * 40)]
    pages += [([line], [line]) for line in scrape]  # numpy sums a lone line's trees its own way
    return pages


@pytest.fixture(scope="module")
def pages():
    return _pages()


def test_stacked_pages_get_the_features_and_probabilities_they_get_alone(pages):
    model = shipped_model()
    alone = [model.probability(page_features(texts, folded, model.lexicon)) for texts, folded in pages]
    rng = random.Random(7)
    for size in (2, 9, 64, len(pages)):
        order = list(range(len(pages)))
        rng.shuffle(order)
        for start in range(0, len(order), size):
            chosen = order[start:start + size]
            rows, stack = stacked_features([pages[i] for i in chosen], model.lexicon)
            for i, page_rows in zip(chosen, stack.split(rows)):
                texts, folded = pages[i]
                assert np.array_equal(page_rows, page_features(texts, folded, model.lexicon)), i
            for i, probability in zip(chosen, model.page_probabilities([pages[i] for i in chosen])):
                assert np.array_equal(probability, alone[i]), (size, i)


def _docs() -> list[Document]:
    """Documents as a batch meets them: a full-page scrape, the cases, textdev pages where they
    are beside the checkout (with their urls), one with its headline given, one twice (the same
    text), and the same text again with urls whose slugs name other lines."""
    texts = [PAGE.read_text(encoding="utf-8")]
    texts += [page.raw for page in case_pages(REPO / "tests" / "cases")]
    urls = [None] * len(texts)
    if (TEXTDEV / "labels.jsonl").exists():
        pages = textdev_pages(TEXTDEV)[::25]
        texts += [page.raw for page in pages]
        urls += [page.url for page in pages]
    docs = [Document(id=f"doc{i}", raw=text, provenance="test", given={"url": url} if url else {})
            for i, (text, url) in enumerate(zip(texts + texts[:1], urls + [None]))]
    docs.append(Document(id="given", raw=texts[0], provenance="test",
                         given={"title": "Harbour town rebuilds its sea wall after winter storms"}))
    for slug in ("most-read-ten-best-beaches-for-a-winter-walk", "harbour-town-rebuilds-its-sea-wall"):
        docs.append(Document(id=slug, raw=texts[0], provenance="test", given={"url": f"https://e.com/{slug}"}))
    return docs


def _outcome(doc: Document) -> tuple:
    return (doc.text, doc.title, [(r.line, r.rule, r.text, r.score) for r in doc.removals],
            None if doc.rejection is None else doc.rejection.reason)


@pytest.mark.parametrize("budget", [None, 20.0])
def test_a_batch_cleaned_at_once_gives_what_each_document_gives_alone(monkeypatch, budget):
    steps = document_steps(Options())
    alone = [_outcome(apply_steps(doc, steps, budget)) for doc in _docs()]
    looks = {"first": 0, "headline": 0}

    def judge_body(model, lines, threshold, protected=frozenset(), first_look=None):
        looks["first"] += first_look is not None
        return body_judge.judge_body(model, lines, threshold, protected, first_look)

    def pick_headline(model, lines, removed, look=None, *, url=None):
        looks["headline"] += look is not None
        return body_judge.pick_headline(model, lines, removed, look, url=url)

    monkeypatch.setattr(boilerplate, "judge_body", judge_body)
    monkeypatch.setattr(boilerplate, "pick_headline", pick_headline)
    batch = _docs()
    steps = document_steps(Options())
    together = [_outcome(doc) for doc in apply_steps_to_batch(batch, steps, budget)]
    assert together == alone
    assert sum(r[1] == "body_model" for outcome in alone for r in outcome[2]) > 10  # the model did work
    # the batch's first looks were prepared (a repeated text's later copies do their own work)
    assert looks["first"] >= len({(doc.raw, doc.given.get("title")) for doc in _docs()}) and looks["headline"] >= 2
    assert not next(step for step in steps if isinstance(step, StripBoilerplate))._prepared


def test_a_batch_whose_preparation_fails_is_cleaned_document_by_document(monkeypatch):
    expected = [_outcome(doc) for doc in apply_steps_to_batch(_docs(), document_steps(Options()))]
    model = shipped_model()

    def broken(pages):
        raise MemoryError("no room for the batch")

    monkeypatch.setattr(model, "page_probabilities", broken)
    assert [_outcome(doc) for doc in apply_steps_to_batch(_docs(), document_steps(Options()))] == expected


def test_a_document_whose_rules_fail_is_quarantined_and_its_neighbours_are_not(monkeypatch):
    expected = [_outcome(doc) for doc in apply_steps_to_batch(_docs(), document_steps(Options()))]
    rule_passes = StripBoilerplate.rule_passes

    def failing(self, numbered, title):
        if any("BROKEN" in text for _, text in numbered):
            raise ValueError("a rule failed")
        return rule_passes(self, numbered, title)

    monkeypatch.setattr(StripBoilerplate, "rule_passes", failing)
    broken = Document(id="broken", raw="BROKEN\nA line of text that stands as an article.", provenance="test")
    docs = _docs()
    docs.insert(3, broken)
    done = apply_steps_to_batch(docs, document_steps(Options()))
    assert done[3].rejection.reason == "step_failed"
    assert apply_steps(Document(id="b", raw=broken.raw, provenance="test"),
                       document_steps(Options())).rejection.reason == "step_failed"
    assert [_outcome(doc) for doc in done[:3] + done[4:]] == expected


@pytest.mark.skipif(not can_limit_time(), reason="CPU time budgets need signals")
def test_each_document_pays_for_its_own_preparation(monkeypatch):
    """A document's rules, run while the batch is prepared, count against its own time budget
    only: slow documents that together take more than one budget pass side by side, as each does
    alone; one slower than the budget fails, as alone. (CPU timers tick coarsely: wide margins.)"""
    apply_steps(Document(id="warm", raw="Loads the rules and the model.", provenance="test"), document_steps(Options()))
    first_verdict = StripBoilerplate._first_verdict

    def slow(self, doc):
        # user CPU time, which the budget's timer counts (ITIMER_VIRTUAL): a loop on
        # time.process_time() spends most of its time in that call's system time on some
        # machines (62 % here), and then "2 s" of it was under the 1 s budget of user time
        seconds = 0.4 if "SLOW" in doc.text else 2.0 if "STUCK" in doc.text else 0.0
        end = os.times().user + seconds
        while os.times().user < end:
            sum(range(10_000))
        return first_verdict(self, doc)

    monkeypatch.setattr(StripBoilerplate, "_first_verdict", slow)
    texts = [f"{word} {i}\nThe council met on Tuesday to vote on the harbour wall, and it passed." for i, word in
             enumerate(["SLOW", "SLOW", "STUCK", "SLOW"])]
    alone = [apply_steps(Document(id=f"a{i}", raw=text, provenance="test"), document_steps(Options()), 1.0)
             for i, text in enumerate(texts)]
    batch = apply_steps_to_batch([Document(id=f"b{i}", raw=text, provenance="test") for i, text in enumerate(texts)],
                                 document_steps(Options()), 1.0)
    reasons = [None if doc.rejection is None else doc.rejection.reason for doc in batch]
    assert reasons == [None if doc.rejection is None else doc.rejection.reason for doc in alone]
    assert reasons == [None, None, "time_limit", None]
