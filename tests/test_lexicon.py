"""The body model's lexicon: which tokens a line has, how sites weigh them, and that the shipped
file holds the lexicon the features are computed with."""
from __future__ import annotations

import math

import numpy as np

from newsclean.cleaning.body.features import SHAPE_FEATURES, SIDE_FEATURES, page_features
from newsclean.cleaning.body.lexicon import MIN_SITES, NAMES, Lexicon, tokens
from newsclean.cleaning.body.model import shipped_model


def test_a_lines_tokens_are_its_words_their_pairs_and_its_first_word():
    assert tokens("Reply to 12 Comments") == {"reply", "to", "0", "comments", "reply to", "to 0", "0 comments",
                                              "^reply"}
    assert tokens("") == frozenset() and tokens("— · —") == frozenset()


def _page(site: str, chrome: list[str], text: list[str]) -> tuple[str, list[str], list[bool]]:
    return site, chrome + text, [False] * len(chrome) + [True] * len(text)


def test_each_site_counts_once_and_a_token_of_few_sites_is_left_out():
    pages = [_page(f"site{i}.example", ["Share this story"], [f"The council met on day {i} to vote."])
             for i in range(6)]
    # one site repeats a word on every line of its chrome: still one site
    pages.append(_page("loud.example", ["Harbour"] * 50, ["The harbour wall was rebuilt."]))
    lexicon = Lexicon.learn(pages)
    assert lexicon.weights["share"] < -1 < 0 < lexicon.weights["council"]
    assert "harbour" not in lexicon.weights  # 2 sites < MIN_SITES
    assert MIN_SITES == 5


def test_the_regression_weighs_a_pair_beside_its_words():
    # "read" and "more" are article words on every site; "read more" alone is a button
    pages = [(f"site{i}.example", ["Read more", f"Read the full report of day {i} for more.", "More readers wrote in."],
              [False, True, True], 1.0) for i in range(6)]
    lexicon = Lexicon.learn(pages)
    assert lexicon.coefficients["read more"] < 0 < lexicon.coefficients["report"]
    score = NAMES.index("token_score")
    assert lexicon.line_stats("Read more")[score] < 0 < lexicon.line_stats("Read the report")[score]
    # the same data gives the same coefficients (liblinear's shuffle is seeded)
    assert Lexicon.learn(pages).coefficients == lexicon.coefficients
    assert Lexicon.learn([page[:3] for page in pages if page[2][0]]).coefficients == {}  # text lines only


def test_line_features_summarise_the_weights_and_the_lines_around():
    lexicon = Lexicon({"reply": -2.0, "council": 1.0, "^reply": -1.0})
    texts = ["Reply", "The council met", "nothing known here"]
    page = page_features(texts, texts, lexicon)
    rows = page[:, SHAPE_FEATURES + SIDE_FEATURES:]
    assert rows.shape == (3, len(NAMES))
    assert rows[0, :5].tolist() == [-1.5, -2.0, -1.0, 0.5, math.log1p(2)]
    assert rows[2, :5].tolist() == [0.0] * 5  # no known token
    assert rows[1, NAMES.index("lexical_mean±1")] == (-1.5 + 0.0) / 2
    # before and after: none above the first line, the mean of the two below it
    assert rows[0, NAMES.index("lexical_mean<5")] == -1.0
    assert rows[0, NAMES.index("lexical_mean>5")] == (1.0 + 0.0) / 2
    assert rows[2, NAMES.index("lexical_mean<15")] == (-1.5 + 1.0) / 2
    # one line of three has chrome's words: it stands before the other two
    assert rows[:, NAMES.index("chrome_lines_before_share")].tolist() == [0.0, 1 / 3, 1 / 3]
    assert rows[:, NAMES.index("chrome_lines_after_share")].tolist() == [0.0, 0.0, 0.0]


def test_the_lexicon_survives_the_model_file(tmp_path):
    lexicon = Lexicon({"reply": -2.0, "à la": 0.5, "^0": -0.25})
    again = Lexicon.from_arrays(lexicon.arrays("lexicon"), "lexicon")
    assert again.weights == lexicon.weights and again.coefficients == {} and again.intercept == 0.0
    fitted = Lexicon(lexicon.weights, {"reply": -1.5, "à la": 0.25}, -0.5)
    again = Lexicon.from_arrays(fitted.arrays("lexicon"), "lexicon")
    assert (again.coefficients, again.intercept) == (fitted.coefficients, fitted.intercept)
    shipped = shipped_model().lexicon
    assert len(shipped.weights) > 10_000
    # chrome words weigh against article text on the sites the model learned from
    assert shipped.weights["^reply"] < 0 and shipped.weights["advertisement"] < 0 < shipped.weights["said"]
    assert len(shipped.coefficients) > 10_000 and shipped.coefficients["advertisement"] < 0
