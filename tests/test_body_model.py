"""The body model: a full-page scrape through the CLI, its switches, its removals' scores, and
the tree evaluator against scikit-learn's own predictions."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from newsclean import clean_text
from newsclean.cleaning.body.features import feature_names, title_names
from newsclean.cleaning.body.model import MODEL_FILE, StaleModelFile, load, shipped_model
from newsclean.cleaning.body.url_slug import URL_MATCH
from newsclean.cleaning.body.trees import from_sklearn
from newsclean.options import Options, RuleOptions

REPO = Path(__file__).resolve().parent.parent
PAGE = REPO / "tests" / "data" / "full_page_scrape.txt"
HEADLINE = "Harbour town rebuilds its sea wall after winter storms"
MENU = ["Politics", "Business", "Technology", "Sport"]  # no rule takes these: the model does


def _paragraphs() -> list[str]:
    return [line for line in PAGE.read_text(encoding="utf-8").splitlines() if len(line.split()) >= 10]


def _run(tmp_path: Path, *args: str) -> tuple[dict, list[dict]]:
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "newsclean", "run", str(PAGE), "--out", str(out), *args],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    row = pq.read_table(out / "data").to_pylist()[0]
    removals = pq.read_table(out / "removals").to_pylist()
    return row, removals


def test_a_full_page_scrape_loses_its_menu_and_keeps_its_article(tmp_path):
    row, removals = _run(tmp_path)
    assert row["title"] == HEADLINE  # not "World", the menu word the rules took for it
    assert all(paragraph in row["text"] for paragraph in _paragraphs())
    by_model = {r["text"]: r["score"] for r in removals if r["rule"] == "body_model"}
    assert set(MENU) <= set(by_model)
    threshold = RuleOptions().body_model_threshold
    assert all(0 <= score < threshold for score in by_model.values())
    assert all(r["score"] is None for r in removals if r["rule"] != "body_model")
    assert all(r["family"] == "body_model" for r in removals if r["rule"] == "body_model")
    # `inspect` shows each model removal's score to the third decimal: the page thresholds lie
    # between 0.01 and 0.04 by default, where two decimals showed most scores as 0.00 or 0.01
    shown = subprocess.run([sys.executable, "-m", "newsclean", "inspect", str(tmp_path / "out"), row["id"]],
                           cwd=REPO, capture_output=True, text=True, timeout=300)
    assert shown.returncode == 0, shown.stderr
    for r in removals:
        if r["rule"] == "body_model":
            assert f"{r['text']}  [body_model/body_model {r['score']:.3f}]" in shown.stdout


@pytest.mark.parametrize("switch", ["cli", "config"])
def test_the_model_can_be_switched_off(tmp_path, switch):
    if switch == "cli":
        args = ("--disable", "body_model")
    else:
        config = tmp_path / "options.toml"
        config.write_text("[rules]\nbody_model = false\n", encoding="utf-8")
        args = ("--config", str(config))
    row, removals = _run(tmp_path, *args)
    assert not [r for r in removals if r["rule"] == "body_model"]
    assert all(word in row["text"].split("\n\n") for word in MENU)


def test_the_threshold_moves_what_it_removes():
    raw = PAGE.read_text(encoding="utf-8")
    removed = {}
    for threshold in (0.0, 0.02, 0.5):
        doc = clean_text(raw, options=Options(rules=RuleOptions(body_model_threshold=threshold)))
        removed[threshold] = {r.line for r in doc.removals if r.rule == "body_model"}
    assert removed[0.0] == set()
    assert removed[0.02] and removed[0.02] <= removed[0.5]


def test_the_page_threshold_scales_with_how_sure_the_model_is_of_the_page():
    from newsclean.cleaning.body.judge import page_threshold

    sure = np.array([0.0] * 5 + [0.99] * 5)  # an article the model is sure of, under a menu
    unsure = np.array([0.0] * 5 + [0.3] * 5)  # an article it scores low, as the text of a listicle
    assert page_threshold(sure, 0.04) == pytest.approx(0.04 * 0.99)
    assert page_threshold(unsure, 0.04) == pytest.approx(0.04 * 0.3)
    assert page_threshold(np.zeros(8), 0.04) == pytest.approx(0.01)  # never under a quarter
    assert page_threshold(np.ones(8), 0.04) == pytest.approx(0.04)  # never over the setting
    assert page_threshold(np.array([]), 0.04) == 0.04
    assert page_threshold(sure, 0.0) == 0.0  # 0: the model removes nothing
    rng = np.random.default_rng(0)
    for size in (1, 2, 3, 10, 57, 400):  # the partial sort gives np.quantile's linear interpolation
        probability = rng.random(size) ** 2
        expected = 0.04 * max(0.25, float(np.quantile(probability, 0.9)))
        assert page_threshold(probability, 0.04) == pytest.approx(expected, rel=1e-12)


def test_what_the_body_model_keeps_stands_over_its_pages_threshold():
    """The page's threshold is taken anew over what stands on each pass: the lines kept are
    over the threshold of the page they make up, and the training script's replay of the passes
    (`kept_by_page_threshold`, for the cross-validation) keeps what the passes keep."""
    from newsclean.cleaning.body.judge import judge_body, page_threshold
    from newsclean.cleaning.body.train import kept_by_page_threshold
    from newsclean.cleaning.context import Line

    raw = PAGE.read_text(encoding="utf-8")
    lines = [Line(n, text, len(text.split()), parts=((n, text),))
             for n, text in enumerate(raw.split("\n"), start=1) if text.strip()]
    model, threshold = shipped_model(), RuleOptions().body_model_threshold
    kept, dropped = judge_body(model, lines, threshold)
    assert dropped and kept
    _, probability = model.judged([line.text for line in kept], [line.loose for line in kept])
    assert (probability >= page_threshold(probability, threshold)).all()
    # a second pass takes what the first left: the chrome gone, the page's 90th percentile rises
    fixed = np.array([0.005] * 10 + [0.015, 0.03, 0.9, 0.95])
    assert kept_by_page_threshold(fixed, 0.04).tolist() == [False] * 11 + [False, True, True]
    assert (fixed >= page_threshold(fixed, 0.04)).tolist()[11]  # one pass would keep 0.03
    # an unsure page: its threshold is a quarter of the setting, where one threshold takes 0.02
    assert kept_by_page_threshold(np.array([0.02, 0.1, 0.2]), 0.04).tolist() == [True, True, True]


class _FixedModel:
    """The body model's `judged` with each line's probability fixed by its text."""

    def __init__(self, probability: dict[str, float]):
        self.probability = probability

    def judged(self, texts, folded):
        return None, np.array([self.probability[text] for text in texts])


@pytest.mark.parametrize("seed", range(20))
def test_the_training_scripts_replay_is_what_the_passes_do(seed, monkeypatch):
    """`kept_by_page_threshold` (the cross-validation's replay) keeps what `judge_body` keeps
    when the probabilities stay as first judged, and every removal's score is under the
    threshold of the page it was removed from."""
    from newsclean.cleaning.body import judge
    from newsclean.cleaning.body.train import kept_by_page_threshold
    from newsclean.cleaning.context import Line

    rng = np.random.default_rng(seed)
    probability = np.round(rng.random(int(rng.integers(1, 60))) ** rng.choice([1, 3, 8]), 4)
    lines = [Line(n, f"line {n}", 2, parts=((n, f"line {n}"),)) for n in range(1, len(probability) + 1)]
    removable = judge.removable
    passes = []  # (the page's threshold, the lines that pass removed)

    def recorded(page, page_probability, threshold, protected):
        low = removable(page, page_probability, threshold, protected)
        passes.append((judge.page_threshold(page_probability, threshold),
                       {line.text for line, out in zip(page, low) if out}))
        return low

    monkeypatch.setattr(judge, "removable", recorded)
    kept, dropped = judge.judge_body(_FixedModel({line.text: p for line, p in zip(lines, probability)}), lines, 0.04)
    replay = kept_by_page_threshold(probability, 0.04)
    assert [line.text for line in kept] == [line.text for line, keep in zip(lines, replay) if keep]
    threshold_of = {text: threshold for threshold, removed in passes for text in removed}
    assert set(threshold_of) == {line.text for line, _ in dropped}
    assert all(score < threshold_of[line.text] <= 0.04 for line, score in dropped)


def test_what_stands_above_the_picked_headline_is_the_sites_head():
    raw = PAGE.read_text(encoding="utf-8")
    head = raw[:raw.index(HEADLINE)].split()  # menu words, "Skip to content", "Sign in" ...
    # threshold 0: the body model itself removes nothing, so what goes is the cut's alone
    doc = clean_text(raw, options=Options(rules=RuleOptions(body_model_threshold=0.0)))
    assert doc.title == HEADLINE
    above = [r for r in doc.removals if r.rule == "above_headline"]
    assert above and all(r.family == "body_model" and r.score is None for r in above)
    headline_line = raw.split("\n").index(HEADLINE) + 1
    assert {r.line for r in doc.removals} >= set(range(1, headline_line + 1))  # the headline: title
    assert not set(doc.text.split("\n\n")) & set(head)
    assert all(paragraph in doc.text for paragraph in _paragraphs())
    kept = clean_text(raw, options=Options(rules=RuleOptions(body_model_threshold=0.0,
                                                             disabled=("above_headline",))))
    assert not [r for r in kept.removals if r.rule == "above_headline"]
    assert {"Politics", "Business"} <= set(kept.text.split("\n\n"))


def test_lines_the_html_marks_as_the_article_are_never_the_models():
    """extract/html.py lists the lines that are <p> of the page's <article> in
    extra["protected_lines"]: neither the body model nor the cut above the headline takes them."""
    from newsclean.cleaning.boilerplate import StripBoilerplate
    from newsclean.cleaning.fix import FixText
    from newsclean.document import Document

    raw = PAGE.read_text(encoding="utf-8")
    numbers = {line: n for n, line in enumerate(raw.split("\n"), 1)}

    def removed_by_model(protected: list[int]) -> set[str]:
        doc = FixText()(Document(id="page", raw=raw, provenance="test"))
        doc.extra["protected_lines"] = protected
        doc = StripBoilerplate()(doc)
        return {r.text for r in doc.removals if r.family == "body_model"}

    free = removed_by_model([])
    assert {"Politics", "Business", "Technology"} <= free
    guarded = removed_by_model([numbers["Politics"], numbers["Technology"]])
    assert "Politics" not in guarded and "Technology" not in guarded and "Business" in guarded


def test_cleaning_the_output_again_changes_nothing():
    doc = clean_text(PAGE.read_text(encoding="utf-8"))
    again = clean_text(doc.text, title=doc.title)
    assert again.text == doc.text and not again.removals


def test_trees_as_arrays_give_scikit_learns_probabilities():
    ensemble = pytest.importorskip("sklearn.ensemble")
    rng = np.random.default_rng(0)
    rows = rng.normal(size=(3000, 12))
    labels = (rows[:, 0] + rows[:, 3] * rows[:, 5] + rng.normal(scale=0.5, size=3000)) > 0
    model = ensemble.HistGradientBoostingClassifier(max_iter=40, max_depth=5, early_stopping=False,
                                                    random_state=0).fit(rows, labels)
    test = rng.normal(size=(500, 12)) * 2
    assert np.allclose(from_sklearn(model).probability(test), model.predict_proba(test)[:, 1], atol=1e-9)


def test_the_shipped_model_states_what_it_was_trained_on():
    model = shipped_model()
    assert "CC-BY-4.0" in model.provenance["trained_on"] and "WCXB" in model.provenance["trained_on"]
    assert model.body.feature.shape[0] == model.provenance["trees"]["max_iter"]
    # the features it was trained on are the ones the code computes, by name and order
    assert model.provenance["body_features"] == feature_names()
    assert model.provenance["title_features"] == title_names()[:-len(URL_MATCH)]  # without a url slug
    assert model.provenance["title_with_url_features"] == title_names()
    # the headline model without a url is given the columns before the url's: its trees read no more
    assert model.title.feature.max() < len(title_names()) - len(URL_MATCH) <= model.title_with_url.feature.max()


def test_a_model_file_trained_on_other_features_is_refused(tmp_path):
    # a file from before a feature was added would load, and its trees would read the wrong columns
    import json

    arrays = dict(np.load(MODEL_FILE))
    assert load(MODEL_FILE).provenance == shipped_model().provenance
    provenance = json.loads(str(arrays["provenance"]))
    provenance["body_features"] = provenance["body_features"][:-1]
    arrays["provenance"] = np.array(json.dumps(provenance))
    stale = tmp_path / "stale.npz"
    np.savez(stale, **arrays)
    with pytest.raises(StaleModelFile, match="retrain"):
        load(stale)


@pytest.mark.parametrize("setting", ['body_model = "false"', 'body_model_threshold = "0.5"',
                                     "body_model_threshold = 1.5", "body_model_threshold = true"])
def test_a_bad_model_option_is_refused_before_any_work(tmp_path, setting):
    config = tmp_path / "options.toml"
    config.write_text(f"[rules]\n{setting}\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "newsclean", "run", str(PAGE), "--out", str(tmp_path / "out"),
                           "--config", str(config)], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and "body_model" in done.stderr
    assert not (tmp_path / "out").exists()


def test_the_headline_model_sees_what_the_rules_removed_beside_each_line():
    """A headline stands above the byline and date lines the rules take out; the counts are of
    removed lines, so blank lines between the input's lines change nothing."""
    from newsclean.cleaning.body.features import AROUND, rules_around
    from newsclean.cleaning.boilerplate import StripBoilerplate

    def around(text: str) -> dict[str, list[float]]:
        numbered = [(n, t) for n, t in enumerate(text.split("\n"), start=1) if t]
        standing, removed, _ = StripBoilerplate(RuleOptions(body_model=False)).rule_passes(numbered, None)
        # as the headline model sees the page: what stands and the rules' own headline
        page = sorted(standing + [line for line in removed if line.rule == "title"], key=lambda line: line.number)
        return {line.text: dict(zip(AROUND, row)) for line, row in zip(page, rules_around(page, removed))}

    body = ("The council approved the plan on Tuesday after a long debate about its cost and timing.\n"
            "Work on the wall will start in the spring and should be finished before next winter.")
    page = f"Our sister sites\nThe Harbour Times\nHarbour town rebuilds its sea wall\nBy Jane Doe\nJune 3, 2024\n{body}"
    found = around(page)
    headline, menu = found["Harbour town rebuilds its sea wall"], found["The Harbour Times"]
    assert headline["byline_or_date_after"] == 1.0 and headline["log_rules_removed_after"] == pytest.approx(np.log(3))
    assert menu["byline_or_date_after"] == 0.0 and menu["log_rules_removed_after"] == 0.0
    assert around(page.replace("\n", "\n\n")) == found


def test_the_headline_model_sees_the_date_lines_standing_beside_each_line():
    """A date line the rules leave (a reading time beside the date, a date in another language)
    still tells where the headline stands; a long sentence holding a date is not a date line."""
    from newsclean.cleaning.body.features import DATED, dated_around, headline_surroundings
    from newsclean.cleaning.context import Line

    texts = ["Get Started", "December 17, 2025 • 8 minutes", "Stop Nesting Database Systems",
             "On 17 December 2025 the team said the systems had been nested for years, and it was time to stop.",
             "Contents", "12. März 2024", "How the nesting works"]
    page = [Line(number, text, len(text.split())) for number, text in enumerate(texts, start=1)]
    rows = {text: dict(zip(DATED, row)) for text, row in zip(texts, dated_around(page))}
    assert [rows[text]["dated"] for text in texts] == [0, 1, 0, 0, 0, 1, 0]
    headline = rows["Stop Nesting Database Systems"]
    assert headline["log_lines_to_dated_before"] == pytest.approx(np.log(2))
    assert headline["log_lines_to_dated_after"] == pytest.approx(np.log(4))
    assert rows["Get Started"]["log_lines_to_dated_before"] == -1.0
    assert rows["How the nesting works"]["log_lines_to_dated_after"] == -1.0
    assert rows["Contents"]["dated_within_2"] == 1.0 and headline["dated_within_2"] == 1.0
    # one row per line, beside what the rules removed, as the headline model reads it
    assert headline_surroundings(page, []).shape == (len(page), 4 + len(DATED))
    assert dated_around([]).shape == (0, len(DATED))


def test_the_model_reads_a_line_as_the_repair_step_prints_it():
    """Cleaning the output again must judge the same shapes: the repair step drops a space
    before a mark after the model has judged ("RILEY . 8 HOURS AGO" -> "RILEY. 8 HOURS AGO")."""
    from newsclean.cleaning.body.features import _line_shape

    assert _line_shape("SECURITY - BY DUNCAN RILEY . 8 HOURS AGO") == _line_shape("SECURITY - BY DUNCAN RILEY. 8 HOURS AGO")
    assert _line_shape("The council met , and voted .") == _line_shape("The council met, and voted.")
