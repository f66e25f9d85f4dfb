"""The second stage of boilerplate removal: the body model judges every line the rules left.

The rules go first (precise, and they explain most removals); then, on the lines still
standing, the headline model picks the line the article stands under (in a full-page scrape
the first line is a menu word, not the headline), and the body model removes each line whose
probability of being article text is below the threshold. It judges again what stands until
it removes nothing, so that cleaning its output again finds nothing new.
"""
from __future__ import annotations

import numpy as np

from ..context import Line
from .features import headline_surroundings, title_candidates, title_features
from .model import BodyModel
from .url_slug import names_a_candidate, slug_words, url_matches

RULE = "body_model"  # the rule's name and its family
# Every pass but the last removes a line, so the loop ends by itself; most pages settle in one
# or two passes, a long page of teasers and comments in more (at most 17 on the 775 textdev
# pages with the page threshold). The bound only keeps a pathological page linear in its own
# lines times this.
MAX_PASSES = 64


def _judged(model: BodyModel, lines: list[Line]) -> tuple[np.ndarray, np.ndarray]:
    return model.judged([line.text for line in lines], [line.loose for line in lines])


def headline_page(lines: list[Line], removed: list[Line]) -> list[Line]:
    """What the headline model looks at: the lines standing and the rules' own headline."""
    rules_line = next((line for line in removed if line.rule == "title"), None)
    return sorted(lines + ([rules_line] if rules_line else []), key=lambda line: line.number)


def headline_looks(model: BodyModel, pages: list[list[Line]]) -> list[tuple[np.ndarray, np.ndarray]]:
    """(rows, P(article text)) of each `headline_page`, the pages judged together, cut to the
    lines the headline model reads (its candidates and the line after them): a batch's pages
    are not all kept whole until their documents' turn."""
    looks = []
    texts = [([line.text for line in page], [line.loose for line in page]) for page in pages]
    for stack, rows, probability in model.stacked(texts):
        for page_rows, page_probability in zip(stack.split(rows), stack.split(probability)):
            keep = min(title_candidates(page_rows, page_probability) + 1, len(page_probability))
            looks.append((page_rows[:keep].copy(), page_probability[:keep].copy()))
    return looks


def pick_headline(model: BodyModel, lines: list[Line], removed: list[Line],
                  look: tuple[np.ndarray, np.ndarray] | None = None, *, url: object = None) -> Line | None:
    """The line the headline model takes for the headline, among the lines standing and the
    rules' own headline (None when it finds none likely). `look`: its `headline_looks`; `url`:
    the page's, whose slug often spells the headline."""
    page = headline_page(lines, removed)
    if not page:
        return None
    rows, probability = look if look is not None else _judged(model, page)
    rules_title = next((i for i, line in enumerate(page) if line.rule == "title"), None)
    matches = url_matches([line.text for line in page[:title_candidates(rows, probability)]], slug_words(url))
    pick = model.pick_title(title_features(rows, probability, rules_title, headline_surroundings(page, removed),
                                           matches), with_url=names_a_candidate(matches))
    return None if pick is None else page[pick]


def is_protected(line: Line, protected: frozenset[int]) -> bool:
    """A part of the line is numbered in `protected`: a paragraph the HTML page marks as its
    article's (extract/html.py `protected_lines`), which no model judgement removes."""
    return any(number in protected for number, _ in line.parts)


# The page's threshold is the configured one scaled by how sure the model is of the page's
# article: the 90th percentile of its lines' probabilities, never taken under a quarter. Where the
# model is sure of the article, chrome scores far below it and a higher threshold costs no text;
# where it is unsure, the text scores low too. Site-disjoint CV at equal retention (0.989): recall
# 0.720 with one threshold for every page (0.02), 0.745 with this (0.04 scaled); docs/body_model.md.
PAGE_QUANTILE = 0.9
LEAST_SHARE = 0.25


def page_threshold(probability: np.ndarray, threshold: float) -> float:
    """The threshold for one page's lines: `threshold` times the page's 90th-percentile
    probability of article text, at least a quarter of `threshold` and at most all of it."""
    if not len(probability):
        return threshold
    # np.quantile's linear interpolation, from a partial sort: np.quantile itself took ~25 µs a
    # call against ~2, ~5 % of a run's CPU on the benchmark corpus (one call per pass of each page)
    at = PAGE_QUANTILE * (len(probability) - 1)
    below = int(at)
    above = min(below + 1, len(probability) - 1)
    ordered = np.partition(probability, (below, above))
    quantile = ordered[below] + (at - below) * (ordered[above] - ordered[below])
    return threshold * max(LEAST_SHARE, float(quantile))


def removable(lines: list[Line], probability: np.ndarray, threshold: float,
              protected: frozenset[int]) -> np.ndarray:
    """Which lines the body model removes at this threshold (`page_threshold`): unlikely article
    text, not protected."""
    low = probability < page_threshold(probability, threshold)
    if protected:
        low &= np.array([not is_protected(line, protected) for line in lines], dtype=bool)
    return low


def judge_body(model: BodyModel, lines: list[Line], threshold: float, protected: frozenset[int] = frozenset(),
               first_look: np.ndarray | None = None) -> tuple[list[Line], list[tuple[Line, float]]]:
    """(lines kept, [(line removed, its probability of being article text)]), the page's
    threshold (`page_threshold`) taken anew on each pass over what stands, so that what it keeps
    it keeps again when cleaned again. A line with a part numbered in `protected` (a paragraph
    the HTML page marks as its article's) is never removed. `first_look`: the probabilities of
    `lines`, when already judged with a batch's other pages."""
    dropped: list[tuple[Line, float]] = []
    for _ in range(MAX_PASSES):
        if not lines:
            break
        if first_look is not None:
            probability, first_look = first_look, None
        else:
            _, probability = _judged(model, lines)
        low = removable(lines, probability, threshold, protected)
        if not low.any():
            break
        dropped += [(line, float(p)) for line, p, out in zip(lines, probability, low) if out]
        lines = [line for line, out in zip(lines, low) if not out]
    for line, _ in dropped:
        line.rule = line.family = RULE
    return lines, dropped
