"""Fuzz `clean_text` (and the readers, through `pipeline.run`) with hostile text, driven by hypothesis.

    nice -n 10 python3 bench/fuzz.py --inputs 100000 [--files 400] [--seed 1]

Inputs are built to break things: the line rules' own pieces (tests/hostile.py: every literal
and character class of rules.toml) and examples, repeated up to long runs with near-miss
endings; lone surrogates, control and format characters, mojibake; huge lines; mixed scripts.
Each goes through `clean_text` with the default options. A crash is an exception out of
`clean_text` or a step that raised (a `step_failed` rejection); an input over its time budget
is one quarantined as `time_limit`, or whose CPU time exceeds `limits.seconds_per_document`.
With --files, as many documents are written as .txt (invalid UTF-8 where they hold surrogates),
.jsonl, .jsonl.gz and .html files and published by `pipeline.run` in runs of 100: a crash there
is a run that raises. The figures are printed at the end; exit 1 if any crash or overrun.
"""
from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from hostile import pieces  # noqa: E402  (tests/hostile.py)
from newsclean import clean_text  # noqa: E402
from newsclean.cleaning.rules import default_rules  # noqa: E402
from newsclean.options import Options  # noqa: E402

RULES = default_rules()
PIECES = sorted({p for rule in RULES for p in pieces(rule.pattern, re.IGNORECASE)})
EXAMPLES = sorted({e for rule in RULES for e in rule.examples})
CONTROLS = [chr(c) for c in (*range(0x20), 0x7F, *range(0x80, 0xA0))] + [
    "\u00ad", "\u200b", "\u200d", "\u2028", "\u2029", "\u202e", "\u2066", "\ufeff", "\ufffd", "\U000e0001"]
SCRIPTS = ["Ελληνικά νέα", "русский текст", "中文新闻报道", "العربية اليوم", "हिन्दी समाचार", "日本語のニュース",
           "한국어 기사", "עברית", "ภาษาไทย", "🎉🔥👍🏽", "e\u0301\u0301\u0301", "ﬁﬂ", "Ｆｕｌｌ"]
MOJIBAKE = ["Ã©", "â€™", "â€œ", "Â ", "Ã¢â‚¬â„¢", "ðŸ˜€", "Ã", "&amp;", "&#8217;", "&nbsp;", "\\u00e9"]
ENDINGS = ["", "\x00", "!", "»", ".", " ", "\ud800", "a"]



def _repeat(unit: str, length: int) -> str:
    return (unit * (length // len(unit) + 1))[:length]


fragment = st.one_of(
    st.sampled_from(PIECES), st.sampled_from(EXAMPLES), st.sampled_from(CONTROLS),
    st.sampled_from(SCRIPTS), st.sampled_from(MOJIBAKE),
    st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF),  # lone surrogates
    st.text(max_size=12),
)
# A run of 1-4 fragments repeated to a length (past MAX_RULE_CHARS at most), then a near miss.
run_of_pieces = st.builds(lambda parts, length, end: _repeat("".join(parts), length) + end,
                          st.lists(fragment, min_size=1, max_size=4).filter(lambda p: "".join(p)),
                          st.integers(1, 120) | st.integers(120, 3_000), st.sampled_from(ENDINGS))
huge_line = st.builds(_repeat, fragment.filter(bool), st.integers(20_000, 300_000))
line = st.one_of(
    st.lists(fragment, max_size=12).map(" ".join),
    st.lists(fragment, max_size=8).map("".join),
    run_of_pieces,
    st.sampled_from(EXAMPLES),
    st.just("The council voted on Tuesday to approve the new budget for the city schools."),
)
ordinary = st.one_of(st.lists(line, min_size=1, max_size=20).map("\n".join), st.text(max_size=300))
with_huge_line = st.tuples(st.lists(line, max_size=5), huge_line).map(lambda t: "\n".join([*t[0], t[1]]))
article = st.integers(0, 99).flatmap(lambda k: with_huge_line if k == 0 else ordinary)  # 1 in 100


class Figures:
    def __init__(self, budget: float, save: Path | None = None):
        self.budget, self.save = budget, save
        self.inputs = self.chars = 0
        self.crashes: list[str] = []
        self.over_budget: list[str] = []
        self.slowest, self.slowest_input = 0.0, ""
        self.reasons: Counter = Counter()

    def clean(self, raw: str) -> None:
        self.inputs += 1
        self.chars += len(raw)
        started = time.process_time()
        try:
            doc = clean_text(raw)
        except Exception as exc:  # noqa: BLE001 - counting them is the point
            self.crashes.append(f"{type(exc).__name__}: {exc} on {raw[:200]!r}")
            if self.save:
                self.save.mkdir(parents=True, exist_ok=True)
                name = f"input{self.inputs:06d}-crash.txt"
                (self.save / name).write_bytes(raw.encode("utf-8", "surrogatepass"))
            return
        took = time.process_time() - started
        if took > self.slowest:
            self.slowest, self.slowest_input = took, raw
        reason = doc.rejection.reason if doc.rejection else "published"
        self.reasons[reason] += 1
        if reason == "step_failed":
            self.crashes.append(f"{doc.rejection.detail} on {raw[:200]!r}")
        if reason == "time_limit" or took > self.budget:
            self.over_budget.append(f"{took:.2f} s on {raw[:200]!r}")
        if self.save and (took > 1.0 or reason in ("step_failed", "time_limit")):  # to replay
            self.save.mkdir(parents=True, exist_ok=True)
            name = f"input{self.inputs:06d}-{reason}-{took:.1f}s.txt"
            (self.save / name).write_bytes(raw.encode("utf-8", "surrogatepass"))


def fuzz_clean_text(figures: Figures, inputs: int, seed_value: int, started: float) -> None:
    @seed(seed_value)
    @settings(max_examples=inputs, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(article)
    def one(raw: str) -> None:
        figures.clean(raw)
        if figures.inputs % 10_000 == 0:
            elapsed = time.perf_counter() - started
            print(f"  {figures.inputs:,} inputs, {len(figures.crashes)} crashes, "
                  f"{len(figures.over_budget)} over budget, slowest {figures.slowest:.3f} s, "
                  f"{figures.inputs / elapsed:.0f} inputs/s", flush=True)

    one()


def fuzz_runs(count: int, seed_value: int) -> tuple[int, list[str], Counter]:
    """`count` hostile documents as files of every text format, published in runs of 100."""
    from newsclean.run import run

    drawn: list[str] = []

    @seed(seed_value)
    @settings(max_examples=count, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(article)
    def keep(raw: str) -> None:
        drawn.append(raw)

    keep()
    crashes, reasons, read = [], Counter(), 0
    for start in range(0, len(drawn), 100):
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp) / "in"
            folder.mkdir()
            for n, raw in enumerate(drawn[start:start + 100], start=start):
                _write(folder, n, raw)
            try:
                summary = run([folder], Path(tmp) / "out", Options())
            except Exception as exc:  # noqa: BLE001
                crashes.append(f"run of files {start}-{start + 99}: {type(exc).__name__}: {exc}")
                continue
            read += summary.read
            reasons.update(summary.rejected_by_reason)
    return read, crashes, reasons


def _write(folder: Path, n: int, raw: str) -> None:
    kind = n % 4
    if kind == 0:
        (folder / f"doc{n}.txt").write_bytes(raw.encode("utf-8", "surrogatepass"))
    elif kind == 1:
        row = json.dumps({"id": f"row{n}", "text": raw, "url": f"https://example.com/{n}"})
        (folder / f"doc{n}.jsonl").write_text(row + "\n", encoding="ascii")
    elif kind == 2:
        row = json.dumps({"id": f"gz{n}", "text": raw}, ensure_ascii=False)
        (folder / f"doc{n}.jsonl.gz").write_bytes(gzip.compress(row.encode("utf-8", "surrogatepass") + b"\n"))
    else:
        body = "".join(f"<p>{line}</p>" for line in raw.split("\n"))
        page = f"<html><head><title>{raw[:40]}</title></head><body><article>{body}</article></body></html>"
        (folder / f"doc{n}.html").write_bytes(page.encode("utf-8", "surrogatepass"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--inputs", type=int, default=100_000, help="clean_text inputs (default 100,000)")
    parser.add_argument("--files", type=int, default=400, help="documents published through pipeline.run")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--save", type=Path, metavar="DIR",
                        help="write each input that crashed or took over 1 s here (read it back with "
                             "Path.read_bytes().decode('utf-8', 'surrogatepass'))")
    args = parser.parse_args()
    budget = Options().limits.seconds_per_document
    clean_text("Warm up\nThe council voted on Tuesday to approve the new budget.")  # models load once
    figures = Figures(budget, args.save)
    started = time.perf_counter()
    fuzz_clean_text(figures, args.inputs, args.seed, started)
    elapsed = time.perf_counter() - started
    print(f"clean_text: {figures.inputs:,} inputs ({figures.chars / 1e6:.1f} M characters) in "
          f"{elapsed:.0f} s, {figures.inputs / elapsed:.0f} inputs/s; {len(figures.crashes)} crashes; "
          f"{len(figures.over_budget)} over the {budget:g} s budget; slowest input "
          f"{figures.slowest:.3f} s CPU ({len(figures.slowest_input):,} characters: "
          f"{figures.slowest_input[:60]!r}...)")
    print("  outcomes: " + ", ".join(f"{k} {v:,}" for k, v in figures.reasons.most_common()))
    for problem in (figures.crashes + figures.over_budget)[:20]:
        print("  " + problem)
    failures = len(figures.crashes) + len(figures.over_budget)
    if args.files:
        started = time.perf_counter()
        read, crashes, reasons = fuzz_runs(args.files, args.seed)
        print(f"pipeline.run: {args.files} files (.txt, .jsonl, .jsonl.gz, .html) in "
              f"{time.perf_counter() - started:.0f} s: {read} documents read, {len(crashes)} crashed runs; "
              "rejected: " + (", ".join(f"{k} {v}" for k, v in reasons.most_common()) or "none"))
        for problem in crashes[:20]:
            print("  " + problem)
        failures += len(crashes) + reasons.get("time_limit", 0)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
