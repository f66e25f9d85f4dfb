"""The evaluation gate: boilerplate recall, content retention and headlines on labelled pages,
scored on every run against the floors in tests/cleaning_floors.toml (as the gold README
scores them, through `bench/score_cleaners.py`). A change that loses article text or lets
chrome back in fails here before it ships. Raise a floor when a change raises the score."""
from __future__ import annotations

import sys
import tomllib
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

import score_cleaners  # noqa: E402

FLOORS = tomllib.loads((REPO / "tests" / "cleaning_floors.toml").read_text(encoding="utf-8"))
GOLD = REPO.parent / "shared" / "gold" / "seeds.jsonl"
TEXTDEV = REPO.parent / "shared" / "textdev"


def _check(name: str, articles: list[dict]) -> None:
    floors = FLOORS[name]
    result = score_cleaners.evaluate("newsclean", score_cleaners.newsclean, articles)
    found = {key: round(result[key], 4) for key in ("recall", "retention", "title") if result[key] is not None}
    low = {key: (found[key], floors[key]) for key in found if key in floors and found[key] < floors[key]}
    assert not low, f"{name}: below the floor (found, floor): {low}"


@pytest.mark.skipif(not GOLD.exists(), reason="../shared/gold is not beside this checkout")
def test_seeds_meet_their_floors():
    articles = [a for a in score_cleaners.labelled_articles(GOLD, REPO / "tests" / "cases")
                if a["name"].startswith("seed ")]
    assert len(articles) == 5
    _check("seeds", articles)


def test_cases_meet_their_floors():
    articles = [a for a in score_cleaners.labelled_articles(REPO / "missing", REPO / "tests" / "cases")]
    assert articles
    _check("cases", articles)


@pytest.mark.skipif(not (TEXTDEV / "labels.jsonl").exists(), reason="../shared/textdev is not beside this checkout")
def test_textdev_sample_meets_its_floors():
    articles = score_cleaners.textdev_articles(TEXTDEV, FLOORS["textdev_sample"]["every"])
    assert len(articles) > 100
    _check("textdev_sample", articles)
