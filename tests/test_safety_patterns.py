"""Nothing a line can hold stalls a run (issue 16, items 2 and 3): no built-in rule backtracks
catastrophically, user patterns run in linear time, and a document over its time budget is
quarantined while the run goes on."""
from __future__ import annotations

import random
import re
import time

import pyarrow.parquet as pq
import pytest

from conftest import REPO, cli
from hostile import hostile_lines
from newsclean import clean_text
from newsclean.cleaning.rules import RuleSet, build_ruleset, count_words, default_rules
from newsclean.document import Document
from newsclean.extract.limits import TimeLimitExceeded, time_limit
from newsclean.options import LimitsOptions, Options, RuleOptions
from newsclean.steps import apply_steps_to_batch, document_steps

MATCH_SECONDS = 0.05  # CPU time of one fullmatch on a 10 kB line: linear patterns take ~1 ms
GUARD_SECONDS = 2.0  # wall clock: a catastrophic pattern is stopped here, so the test fails fast
NEXT_LINE = " ".join(["Next »"] * 15)  # the issue's line: 30 words, breadcrumb's budget


def _fullmatch_seconds(pattern: re.Pattern, line: str) -> float:
    start = time.thread_time()
    try:
        with time_limit(GUARD_SECONDS):
            pattern.fullmatch(line)
    except TimeLimitExceeded:
        return float("inf")
    return time.thread_time() - start


@pytest.mark.parametrize("rule", default_rules(), ids=lambda rule: rule.name)
def test_no_rule_backtracks_on_long_lines_of_its_own_pieces(rule):
    """Each rule's literal pieces and character classes, repeated to 10 kB after nothing, its
    first piece or one of its examples (or its examples repeated), ending in a near miss: every
    match stays linear."""
    pattern = re.compile(rule.pattern, re.IGNORECASE)
    slowest, worst = 0.0, ""
    for line in hostile_lines(rule.pattern, length=10_000, starts=rule.examples):
        took = _fullmatch_seconds(pattern, line)
        if took > slowest:
            slowest, worst = took, line
    assert slowest < MATCH_SECONDS, f"{rule.name}: {slowest:.3f} s on {worst[:60]!r}...{worst[-20:]!r}"


def test_the_comment_rules_patterns_do_not_backtrack_on_long_lines():
    """`comment_thread`'s patterns (written in code, not in rules.toml) on the same hostile lines;
    its time pattern also gets a 20,000-space run after a date (a possessive `\\s*+` each)."""
    from newsclean.cleaning.comments import COMMENT_REPLY, COMMENT_SAYS, COMMENT_TIME

    starts = ("June 19, 2024 at 4:42 am", "Shivya Nath says:", "Reply", "June 19, 2024" + " " * 20_000 + "x")
    for pattern in (COMMENT_TIME, COMMENT_SAYS, COMMENT_REPLY):
        for line in [*hostile_lines(pattern.pattern, length=10_000, starts=starts), starts[-1]]:
            took = _fullmatch_seconds(pattern, line)
            assert took < MATCH_SECONDS, f"{pattern.pattern[:40]}: {took:.3f} s on {line[:60]!r}"


def test_the_issues_breadcrumb_line_cleans_at_once():
    rules = RuleSet(default_rules())
    for repeats in (15, 200):
        line = " ".join(["Next »"] * repeats)
        start = time.thread_time()
        with time_limit(10 * GUARD_SECONDS):
            rules.match(line, min(count_words(line), rules.max_words))
        assert time.thread_time() - start < MATCH_SECONDS
    start = time.thread_time()
    with time_limit(10 * GUARD_SECONDS):
        doc = clean_text(f"{NEXT_LINE}\nThe council voted on Tuesday to approve the new budget for the town.")
    assert time.thread_time() - start < 1.0
    assert doc.rejection is None and NEXT_LINE not in doc.text


def test_the_issues_breadcrumb_line_does_not_hold_up_a_run(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "next.txt").write_text(
        f"Council passes the budget\n{NEXT_LINE}\n"
        "The council voted on Tuesday to approve the new budget for the city schools.\n", encoding="utf-8")
    result = cli("run", str(tmp_path / "in"), "--out", str(tmp_path / "out"), timeout=120)
    assert result.returncode == 0, result.stderr
    assert pq.read_table(tmp_path / "out" / "data").column("id").to_pylist() == ["next"]


# ---------------------------------------------------------------- user patterns

EVIL = "(a+)+$"  # exponential on "aaa...a!" in a backtracking engine
EVIL_LINE = "a" * 40 + "!"


@pytest.mark.parametrize("how", ["--pattern", "config"])
def test_a_user_pattern_cannot_hang_a_run(tmp_path, how):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "a.txt").write_text(
        f"Council passes the budget\n{EVIL_LINE}\n{'a' * 40}\n"
        "The council voted on Tuesday to approve the new budget for the city schools.\n", encoding="utf-8")
    if how == "--pattern":
        args = ["--pattern", f"navigation={EVIL}"]
    else:
        (tmp_path / "options.toml").write_text(
            f"[rules]\nextra = [{{name = \"as\", family = \"navigation\", pattern = '{EVIL}'}}]\n")
        args = ["--config", str(tmp_path / "options.toml")]
    result = cli("run", str(tmp_path / "in"), "--out", str(tmp_path / "out"), *args, timeout=120)
    assert result.returncode == 0, result.stderr
    text = pq.read_table(tmp_path / "out" / "data").column("text").to_pylist()[0]
    assert EVIL_LINE in text.split("\n\n") and "a" * 40 not in text.split("\n\n")  # matched as written


def test_user_patterns_run_in_linear_time_and_keep_their_meaning():
    extra = ({"name": "as", "family": "navigation", "pattern": EVIL},
             {"name": "footer", "family": "navigation", "pattern": r"more from (?:my|our) site\.?"},
             {"name": "cased", "family": "credit", "pattern": r"(?-i:[A-Z]{3}) wire"})
    rules = build_ruleset(RuleOptions(extra=extra))
    start = time.thread_time()
    with time_limit(10 * GUARD_SECONDS):
        for n in (40, 1000):
            assert rules.match("a" * n + "!", 1) is None
            assert rules.match("a" * n, 1).name == "as"
    assert time.thread_time() - start < MATCH_SECONDS
    assert rules.match("MORE FROM OUR SITE.", 4).name == "footer"
    assert rules.match("AFP wire", 2).name == "cased" and rules.match("afp wire", 2) is None
    assert rules.match("Source link", 2).name == "source_link"  # built-in rules come first, as before


@pytest.mark.parametrize("pattern", [r"(?=.*cookies).*", r"(a)\1", r"(?<!x)home"])
def test_a_user_pattern_the_linear_engine_cannot_run_is_refused_at_load(tmp_path, pattern):
    with pytest.raises(ValueError, match="linear"):
        build_ruleset(RuleOptions(extra=({"name": "mine", "family": "navigation", "pattern": pattern},)))
    result = cli("run", "seeds", "--out", str(tmp_path / "out"), "--pattern", f"navigation={pattern}")
    assert result.returncode == 2 and "linear" in result.stderr and "cli_pattern_1" in result.stderr
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------- the time budget per document

def long_article(paragraphs: int, seed: int = 7) -> str:
    """Distinct prose paragraphs (no two alike, so no cache shortens the work)."""
    rng = random.Random(seed)
    words = ("council budget school river bridge voters week mayor report city road plan board "
             "the a of to and in on for with said would new old first last").split()
    body = [" ".join(rng.choice(words) for _ in range(40)).capitalize() + "." for _ in range(paragraphs)]
    return "\n".join(["Council weighs a long budget", *body])


SHORT = ("Council passes the budget\n"
         "The council voted on Tuesday to approve the new budget for the city schools.\n")
BUDGET = 0.25  # seconds: ~50x what SHORT takes, a quarter of what long_article(2000) takes


def test_a_document_over_its_time_budget_is_quarantined_by_clean_text():
    options = Options(limits=LimitsOptions(seconds_per_document=BUDGET))
    clean_text(SHORT)  # load the models first: their first use is not the document's work
    assert clean_text(SHORT, options=options).rejection is None
    doc = clean_text(long_article(2000), options=options)
    assert doc.rejection is not None and doc.rejection.reason == "time_limit"
    assert "limits.seconds_per_document" in doc.rejection.detail


def test_the_budget_holds_for_each_document_of_a_batch():
    options = Options(limits=LimitsOptions(seconds_per_document=BUDGET))
    clean_text(SHORT)
    docs = [Document(id=name, raw=raw, provenance="test")
            for name, raw in (("short", SHORT), ("long", long_article(2000)), ("after", SHORT))]
    done = apply_steps_to_batch(docs, document_steps(options), options.limits.seconds_per_document)
    assert [(d.id, d.rejection and d.rejection.reason) for d in done] == [
        ("short", None), ("long", "time_limit"), ("after", None)]


def test_an_inner_time_limit_gives_way_to_an_outer_one_that_ends_first():
    class Outer(BaseException):
        pass

    start = time.monotonic()
    with pytest.raises(Outer):
        with time_limit(0.2, Outer):
            with time_limit(30):  # the HTML step's own limit, inside a document's budget
                while True:
                    pass
    assert time.monotonic() - start < 5


@pytest.mark.parametrize("workers", ["1", "2"])  # in this process / in worker processes
def test_a_document_over_its_time_budget_is_quarantined_and_the_run_goes_on(tmp_path, workers):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "slow.txt").write_text(long_article(2000), encoding="utf-8")
    for n in range(3):
        (tmp_path / "in" / f"short{n}.txt").write_text(SHORT.replace("Tuesday", f"day {n}"), encoding="utf-8")
    (tmp_path / "options.toml").write_text(f"batch_docs = 1\n[limits]\nseconds_per_document = {BUDGET}\n")
    result = cli("run", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--workers", workers,
                 "--config", str(tmp_path / "options.toml"), timeout=300)
    assert result.returncode == 0, result.stderr
    assert sorted(pq.read_table(tmp_path / "out" / "data").column("id").to_pylist()) == \
        ["short0", "short1", "short2"]
    rejects = {row["id"]: row for row in pq.read_table(tmp_path / "out" / "rejects").to_pylist()}
    assert rejects["slow"]["reason"] == "time_limit" and "seconds_per_document" in rejects["slow"]["detail"]
    assert cli("validate", str(tmp_path / "out")).returncode == 0
