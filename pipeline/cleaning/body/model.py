"""The shipped body and headline models: load once per process, judge a page's lines."""
from __future__ import annotations

import json
import zipfile
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Iterator

import numpy as np

from .features import BASE, feature_names, page_features, stacked_features, title_names
from .lexicon import Lexicon
from .stacked import Stack
from .trees import Forest, from_sklearn
from .url_slug import URL_MATCH

MODEL_FILE = Path(__file__).with_name("body_model.npz")
# A full-page scrape nearly always shows its headline: the likeliest line is taken unless it is
# very unlikely (a text that starts with its body: the rules' choice, or none, stands).
TITLE_MIN_PROBABILITY = 0.02
PARAGRAPH_TITLE_PROBABILITY = 0.5
# Lines judged at once (`stacked`): enough to spread numpy's per-call cost over dozens of pages,
# few enough that the temporaries (~0.4 MB each) reuse the heap. At 4,096 and 20,000 lines the
# run took 2.4 times the page faults (2.4e5 against 1.0e5 on 3,000 benchmark documents) and
# ~0.2 s more system time, which cost what the larger stacks saved.
STACK_LINES = 512


class BodyModel:
    """P(article text) for each line, and the most likely headline among the top lines: by
    `title`, or by `title_with_url` where the slug of the page's url names a candidate (`url_slug.py`)."""

    def __init__(self, body: Forest | None, title: Forest | None, lexicon: Lexicon,
                 provenance: dict | None = None, title_with_url: Forest | None = None):
        self.body, self.title, self.lexicon, self.provenance = body, title, lexicon, provenance or {}
        self.title_with_url = title_with_url

    @classmethod
    def from_fitted(cls, body, title, lexicon: Lexicon, title_with_url=None) -> "BodyModel":
        convert = lambda model: model if model is None or isinstance(model, Forest) else from_sklearn(model)  # noqa: E731
        return cls(convert(body), convert(title), lexicon, title_with_url=convert(title_with_url))

    def rows(self, texts: list[str], folded: list[str]) -> np.ndarray:
        """The features of a page's standing lines (`folded`: their repeat keys)."""
        return page_features(texts, folded, self.lexicon)

    def probability(self, rows: np.ndarray) -> np.ndarray:
        return self.body.probability(rows)

    def stacked(self, pages: list[tuple[list[str], list[str]]]) -> Iterator[tuple[Stack, np.ndarray, np.ndarray]]:
        """(stack, rows, P(article text)) of (texts, folded) pages judged together (`stacked`),
        at most STACK_LINES lines at a time: each page's values are those it has alone, without
        numpy's per-call cost on each page."""
        start = 0
        while start < len(pages):
            end, lines = start, 0
            while end < len(pages) and (end == start or lines + len(pages[end][0]) <= STACK_LINES):
                lines += len(pages[end][0])
                end += 1
            rows, stack = stacked_features(pages[start:end], self.lexicon)
            yield stack, rows, self.body.probability(rows)
            start = end

    def page_probabilities(self, pages: list[tuple[list[str], list[str]]]) -> list[np.ndarray]:
        """P(article text) of each (texts, folded) page's lines, the pages judged together."""
        return [p for stack, _, probability in self.stacked(pages) for p in stack.split(probability)]

    def judged(self, texts: list[str], folded: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(rows, P(article text)) of one page's standing lines."""
        rows = self.rows(texts, folded)
        return rows, self.probability(rows)

    def pick_title(self, candidates: np.ndarray, with_url: bool = False) -> int | None:
        """Index of the headline among the candidate rows (`title_features`), or None when none is
        likely enough. `with_url`: the url's slug names a candidate (`url_slug.names_a_candidate`);
        otherwise the model that never read a url judges the columns before the url's."""
        if not len(candidates):
            return None
        if with_url and self.title_with_url is not None:
            probability = self.title_with_url.probability(candidates)
        else:
            probability = self.title.probability(candidates[:, :-len(URL_MATCH)])
        # A line shaped like a paragraph is taken only when the model is sure: it may be the
        # lead of an article that has no headline, and the body would lose it.
        shaped = candidates[:, BASE.index("paragraph_shaped")] > 0
        probability = np.where(shaped & (probability < PARAGRAPH_TITLE_PROBABILITY), 0.0, probability)
        best = int(np.argmax(probability))  # the first of equals: deterministic
        return best if probability[best] >= TITLE_MIN_PROBABILITY else None


def save(model: BodyModel, path: Path, provenance: dict) -> None:
    """An .npz file (np.load reads it) whose bytes depend on the arrays alone: numpy's own
    savez stamps each member with the clock, so the same training would give a new file."""
    arrays = {**model.body.arrays("body"), **model.title.arrays("title"), **model.lexicon.arrays("lexicon"),
              **model.title_with_url.arrays("title_url"), "provenance": np.array(json.dumps(provenance, sort_keys=True))}
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name in sorted(arrays):
            member = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            member.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(member, "w") as handle:
                np.lib.format.write_array(handle, np.asarray(arrays[name]), allow_pickle=False)


class StaleModelFile(RuntimeError):
    """The model file was trained on other features than the code computes: its trees would read
    the wrong columns."""


def load(handle) -> BodyModel:
    """A model file (`save`), refused when its features are not the ones `features.py` computes."""
    arrays = np.load(handle)
    provenance = json.loads(str(arrays["provenance"]))
    if provenance.get("body_features") != feature_names() or provenance.get("title_with_url_features") != title_names():
        raise StaleModelFile("the body model file was trained on other features than this version computes; "
                             "retrain it: python3 -m newsclean.cleaning.body.train")
    return BodyModel(Forest.from_arrays(arrays, "body"), Forest.from_arrays(arrays, "title"),
                     Lexicon.from_arrays(arrays, "lexicon"), provenance, Forest.from_arrays(arrays, "title_url"))


@lru_cache(maxsize=1)
def shipped_model() -> BodyModel:
    with resources.files(__package__).joinpath("body_model.npz").open("rb") as handle:
        return load(handle)
