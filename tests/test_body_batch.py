"""The body model judges a batch's pages together (`stacked`): every page's features and
probabilities are bit for bit the ones it has alone, whatever pages stand beside it, and a batch
cleaned at once gives the documents it gives one by one."""
from __future__ import annotations

import os
import random
from pathlib import Path

import numpy as np
import pytest

from newsclean.cleaning.body.features import page_features, stacked_features
from newsclean.cleaning.body.model import shipped_model
from newsclean.cleaning.body.pages import after_rules, case_pages, textdev_pages
from newsclean.document import Document
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
    texts = [PAGE.read_text(encoding="utf-8")]
    texts += [page.raw for page in case_pages(REPO / "tests" / "cases")]
    if (TEXTDEV / "labels.jsonl").exists():
        texts += [page.raw for page in textdev_pages(TEXTDEV)[::25]]
    return [Document(id=f"doc{i}", raw=text, provenance="test") for i, text in enumerate(texts)]


def _outcome(doc: Document) -> tuple:
    return doc.text, doc.title, [(r.line, r.rule, r.text, r.score) for r in doc.removals], doc.rejection


def test_a_batch_cleaned_at_once_gives_what_each_document_gives_alone():
    steps = document_steps(Options())
    alone = [_outcome(apply_steps(doc, steps)) for doc in _docs()]
    together = [_outcome(doc) for doc in apply_steps_to_batch(_docs(), document_steps(Options()))]
    assert together == alone
    assert sum(r[1] == "body_model" for outcome in alone for r in outcome[2]) > 10  # the model did work


def test_a_batch_whose_preparation_fails_is_cleaned_document_by_document(monkeypatch):
    steps = document_steps(Options())
    expected = [_outcome(doc) for doc in apply_steps_to_batch(_docs(), steps)]
    model = shipped_model()

    def broken(pages):
        raise MemoryError("no room for the batch")

    monkeypatch.setattr(model, "page_probabilities", broken)
    assert [_outcome(doc) for doc in apply_steps_to_batch(_docs(), document_steps(Options()))] == expected
