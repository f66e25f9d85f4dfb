"""Which words chrome uses: a lexicon of words and word pairs weighed by the sites that use them.

The shape features (features.py) see a line's form; they cannot tell "Reply", "Share this
article" or "2 comments" from a two-word subheading. Chrome speaks a small vocabulary that
recurs from site to site, in any language the training pages hold; an article's words are its
own. Each token (a word, digits as "0", a pair of neighbouring words, the first word marked
"^") is weighed by the log-odds of the sites that use it in article text against those that
use it in chrome, every site counted once, so one site's template cannot make a word chrome.
A token used by fewer than `MIN_SITES` training sites is left out: it is a topic, not chrome.
Site-disjoint cross-validation, equal retention 0.985: recall 0.61 without, 0.68 with it.

The log-odds weigh each token alone. The lexicon also holds a logistic regression over the same
tokens (`token_score`: its intercept plus the coefficients of the line's tokens), which weighs
them together: "read" and "more" are article words, "read more" is a button; a pair's weight is
learned beside its words'. Each site's lines weigh 1 / sqrt(its lines) in it, which damps what a
site's long template does to a word's coefficient (docs/body_model.md).
"""
from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable

import numpy as np

MIN_SITES = 5
SMOOTHING = 1.0  # added to both site counts: a token seen on few sites weighs little
NEGATIVE = -1.0  # a token at least e times likelier in chrome than in article text
WORD = re.compile(r"[^\W\d_]+|\d+|[©|»•@#]")
# The regression: C = 0.1 (the inverse of the L2 penalty's strength; liblinear penalises the
# intercept too), as in the cross-validation of docs/body_model.md. Deterministic: the rows come
# in page order, the columns are the sorted tokens, and liblinear's primal solver for an L2
# penalty draws nothing at random (the seed is set all the same).
TOKEN_REGRESSION = dict(C=0.1, solver="liblinear", max_iter=200, random_state=0)
LINE_STATS = ("lexical_mean", "lexical_min", "lexical_max", "lexical_negative_share", "log_lexical_tokens",
              "token_score")
TOKEN_SCORE = LINE_STATS.index("token_score")
CONTEXT = (1, 3)  # lines each side for the mean of `lexical_mean` around a line
TOKEN_CONTEXT = (1, 3, 8)  # and of `token_score`
# Lines on one side for the means before and after a line (the shape columns use the same):
# the chrome after an article and the article after a site's head differ in which side is prose.
SIDES = (5, 15)
SIDE_STATS = ("lexical_mean", "lexical_negative_share", "token_score")
NAMES = (LINE_STATS + tuple(f"lexical_mean±{reach}" for reach in CONTEXT)
         + tuple(f"token_score±{reach}" for reach in TOKEN_CONTEXT)
         + tuple(f"{name}{side}{reach}" for reach in SIDES for side in "<>" for name in SIDE_STATS)
         + ("chrome_lines_before_share", "chrome_lines_after_share"))
# `line_stats` appends `token_score` after the log-odds' statistics: it must stay the last.
assert TOKEN_SCORE == len(LINE_STATS) - 1
_NONE = (0.0,) * TOKEN_SCORE


def tokens(text: str) -> frozenset[str]:
    """The line's tokens: case-folded words (every number "0"), neighbouring pairs, "^" + the first.
    Not remembered: a line's summary is (`Lexicon.line_stats`), and 32 k remembered token sets
    would hold ~35 MB per worker."""
    words = ["0" if word.isdigit() else word for word in WORD.findall(text.casefold())]
    pairs = [f"{a} {b}" for a, b in zip(words, words[1:])]
    return frozenset(words + pairs + ([f"^{words[0]}"] if words else []))


class Lexicon:
    """Token weights (positive: article text, negative: chrome), and each line's summary of them;
    the regression's coefficients of the same tokens and its intercept (`token_score`)."""

    def __init__(self, weights: dict[str, float], coefficients: dict[str, float] | None = None,
                 intercept: float = 0.0):
        self.weights = weights
        self.coefficients = coefficients or {}
        self.intercept = intercept
        self._stats: dict[str, tuple[float, ...]] = {}

    def line_stats(self, text: str) -> tuple[float, ...]:
        """`LINE_STATS` for one line; remembered per text (a site's chrome recurs on every page)."""
        found = self._stats.get(text)
        if found is None:
            weights, coefficients = self.weights, self.coefficients
            found_tokens = tokens(text)
            values = [weights[token] for token in found_tokens if token in weights]
            if values:  # fsum is exact: the same mean whatever order the set gives the tokens
                found = (math.fsum(values) / len(values), min(values), max(values),
                         sum(value < NEGATIVE for value in values) / len(values), math.log1p(len(values)))
            else:
                found = _NONE
            found += (math.fsum([self.intercept] + [coefficients[token] for token in found_tokens
                                                    if token in coefficients]),)
            if len(self._stats) >= 32_768:
                self._stats.clear()
            self._stats[text] = found
        return found

    def line_rows(self, texts: list[str]) -> np.ndarray:
        """One row of `LINE_STATS` per line (features.py adds the means around each line)."""
        return np.array([self.line_stats(text) for text in texts], dtype=float).reshape(len(texts), len(LINE_STATS))

    @classmethod
    def learn(cls, pages: Iterable[tuple[str, list[str], Iterable[bool]] | tuple[str, list[str], Iterable[bool], float]]
              ) -> "Lexicon":
        """From (site, line texts, is article text[, the page's weight]) per labelled page: each
        site counts once per token in the log-odds; the regression weighs each line by the page's
        weight over the square root of its site's lines (none without both kinds of line)."""
        in_text: dict[str, set[str]] = {}
        in_chrome: dict[str, set[str]] = {}
        lines: list[tuple[str, frozenset[str], bool, float]] = []
        for site, texts, content, *weight in pages:
            text_tokens, chrome_tokens = in_text.setdefault(site, set()), in_chrome.setdefault(site, set())
            for text, is_text in zip(texts, content):
                found = tokens(text)
                (text_tokens if is_text else chrome_tokens).update(found)
                lines.append((site, found, bool(is_text), weight[0] if weight else 1.0))
        text_sites = Counter(token for found in in_text.values() for token in found)
        chrome_sites = Counter(token for found in in_chrome.values() for token in found)
        weights = {}
        for token in sorted(set(text_sites) | set(chrome_sites)):
            text, chrome = text_sites[token], chrome_sites[token]
            if text + chrome >= MIN_SITES:
                weights[token] = math.log(text + SMOOTHING) - math.log(chrome + SMOOTHING)
        if len({is_text for _, _, is_text, _ in lines}) < 2:
            return cls(weights)
        return cls(weights, *_regression(lines, weights))

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        """The tokens as one UTF-8 byte array (newline-separated, sorted), their weights, their
        coefficients (0 where the regression has none) and the intercept."""
        names = sorted(self.weights)
        return {f"{prefix}_tokens": np.frombuffer("\n".join(names).encode("utf-8"), dtype=np.uint8),
                f"{prefix}_weights": np.array([self.weights[name] for name in names], dtype=np.float64),
                f"{prefix}_coefficients": np.array([self.coefficients.get(name, 0.0) for name in names],
                                                   dtype=np.float64),
                f"{prefix}_intercept": np.array(self.intercept, dtype=np.float64)}

    @classmethod
    def from_arrays(cls, arrays, prefix: str) -> "Lexicon":
        text = arrays[f"{prefix}_tokens"].tobytes().decode("utf-8")
        names = text.split("\n") if text else []
        coefficients = {name: value for name, value in zip(names, arrays[f"{prefix}_coefficients"].tolist()) if value}
        return cls(dict(zip(names, arrays[f"{prefix}_weights"].tolist())), coefficients,
                   float(arrays[f"{prefix}_intercept"]))


def _regression(lines: list[tuple[str, frozenset[str], bool, float]],
                weights: dict[str, float]) -> tuple[dict[str, float], float]:
    """Coefficients of a logistic regression of 'article text' on the presence of each token of
    the lexicon (scikit-learn: training only), and its intercept."""
    import warnings

    from scipy import sparse
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    column = {token: k for k, token in enumerate(sorted(weights))}
    site_lines = Counter(site for site, _, _, _ in lines)
    rows, columns = [], []
    for row, (_, found, _, _) in enumerate(lines):
        for k in sorted(column[token] for token in found if token in column):
            rows.append(row)
            columns.append(k)
    presence = sparse.csr_matrix((np.ones(len(rows)), (rows, columns)), shape=(len(lines), len(column)))
    labels = np.array([is_text for _, _, is_text, _ in lines])
    weight = np.array([page_weight / math.sqrt(site_lines[site]) for site, _, _, page_weight in lines])
    with warnings.catch_warnings():  # a fit that stopped short is not the model the CV measured
        warnings.simplefilter("error", ConvergenceWarning)
        fitted = LogisticRegression(**TOKEN_REGRESSION).fit(presence, labels,
                                                             sample_weight=weight * len(weight) / weight.sum())
    return {name: value for name, value in zip(column, fitted.coef_[0].tolist()) if value}, float(fitted.intercept_[0])
