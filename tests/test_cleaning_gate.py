"""The evaluation gate: boilerplate recall, content retention and headlines on labelled pages,
scored on every run against the floors in tests/cleaning_floors.toml (as the gold README
scores them, through `bench/score_cleaners.py`). A change that loses article text or lets
chrome back in fails here before it ships. Raise a floor when a change raises the score."""
from __future__ import annotations

import os
import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

import score_cleaners  # noqa: E402
from conftest import clean_twice  # noqa: E402

FLOORS = tomllib.loads((REPO / "tests" / "cleaning_floors.toml").read_text(encoding="utf-8"))
GOLD = REPO.parent / "shared" / "gold" / "seeds.jsonl"
TEXTDEV = REPO.parent / "shared" / "textdev"


def _needs(path: Path) -> None:
    """CI runs beside ../shared: there a missing set fails the gate instead of skipping it."""
    if not path.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{path.name} is missing beside the checkout: the gate cannot run")
        pytest.skip(f"../shared/{path.parent.name}/{path.name} is not beside this checkout")


def _check(name: str, articles: list[dict]) -> None:
    floors = FLOORS[name]
    assert {"recall", "retention"} <= set(floors), f"{name}: floors for recall and retention are required"
    result = score_cleaners.evaluate("newsclean", score_cleaners.newsclean, articles)
    if "title" in floors:
        assert result["title"] is not None, f"{name}: a title floor, but no headline to find"
    if "title_without_url" in floors:  # an input may give no url: the headline model must not lean on it
        without = score_cleaners.evaluate("newsclean, no url", score_cleaners.newsclean_without_url, articles)
        assert without["title"] is not None, f"{name}: a title floor without urls, but no headline to find"
        result["title_without_url"] = without["title"]
    found = {key: round(result[key], 4) for key in ("recall", "retention", "title", "title_without_url")
             if key in floors}
    low = {key: (found[key], floors[key]) for key in found if found[key] < floors[key]}
    assert not low, f"{name}: below the floor (found, floor): {low}"


def test_seeds_meet_their_floors():
    _needs(GOLD)
    articles = [a for a in score_cleaners.labelled_articles(GOLD, REPO / "tests" / "cases")
                if a["name"].startswith("seed ")]
    assert len(articles) == 5
    _check("seeds", articles)


def test_cases_meet_their_floors():
    articles = [a for a in score_cleaners.labelled_articles(REPO / "missing", REPO / "tests" / "cases")]
    assert articles
    _check("cases", articles)


def test_textdev_sample_meets_its_floors():
    _needs(TEXTDEV / "labels.jsonl")
    articles = score_cleaners.textdev_articles(TEXTDEV, FLOORS["textdev_sample"]["every"])
    assert len(articles) > 100
    _check("textdev_sample", articles)


def test_cleaning_a_textdev_page_again_changes_nothing():
    """Full-page scrapes take the body model many rounds; the fixed point must hold on them,
    not only on the short texts of the property tests. Every page (~35 s): a page that changes
    is rare, and the sample alone missed the last ones."""
    _needs(TEXTDEV / "labels.jsonl")
    changed = []
    for article in score_cleaners.textdev_articles(TEXTDEV, 1):
        cleaned = clean_twice(article["raw"], article["url"])  # as the benchmark gives it
        if cleaned is not None and cleaned[1].text != cleaned[0].text:
            changed.append(article["name"])
    assert not changed, f"cleaning the output again changed {len(changed)} pages: {changed[:5]}"
