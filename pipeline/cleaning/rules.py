"""Line rules as data: loaded from rules.toml, overlaid by the user's options, compiled once."""
from __future__ import annotations

import dataclasses
import json
import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from ..options import RuleOptions

WHERE = ("any", "edge")
MAX_RULE_CHARS = 2_000  # no chrome line is longer; longer lines skip the patterns (no regex blow-ups)
WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class LineRule:
    name: str
    family: str
    pattern: str
    where: str = "any"
    max_words: int = 12
    examples: tuple[str, ...] = ()
    # Substrings (case-folded) of which a line must hold one for the pattern to match it: a
    # necessary condition that lets most lines skip an expensive pattern; a hypothesis test
    # checks that the answers are the same without it (tests/test_rules.py).
    requires: tuple[str, ...] = ()
    # A user's own pattern (`--pattern`, `[rules] extra`): run by RE2, in linear time (`linear`).
    user: bool = False

    def __post_init__(self) -> None:
        if self.where not in WHERE:
            raise ValueError(f"rule {self.name!r}: where must be one of {WHERE}, not {self.where!r}")
        if any(not s or s != s.casefold() for s in self.requires):
            raise ValueError(f"rule {self.name!r}: requires must be non-empty case-folded strings")
        if self.user:
            linear(self.pattern, self.name)
            return
        try:
            re.compile(self.pattern)
        except re.error as exc:
            raise ValueError(f"rule {self.name!r}: bad pattern: {exc}") from None


def linear(pattern: str, name: str = "?"):
    """A user's pattern compiled by RE2, whose matching time is linear in the line whatever the
    pattern: `(a+)+$` cannot stall a run as it does a backtracking engine. The built-in rules stay
    on `re` (they need lookarounds; tests/test_safety_patterns.py holds them linear). RE2 has no
    lookarounds or backreferences, and its \\w \\d \\b are ASCII (\\pL is any letter)."""
    import re2

    options = re2.Options()
    options.case_sensitive = False  # as re.IGNORECASE for the built-in rules
    options.log_errors = False
    try:
        return re2.compile(pattern, options)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        reason = reason.decode("utf-8", "replace") if isinstance(reason, bytes) else reason
        raise ValueError(f"rule {name!r}: the pattern {pattern!r} cannot run on the linear-time engine "
                         f"user patterns use (RE2: no lookarounds or backreferences): {reason}") from None


def default_rules() -> tuple[LineRule, ...]:
    text = resources.files(__package__).joinpath("rules.toml").read_text(encoding="utf-8")
    return tuple(_rule(entry) for entry in tomllib.loads(text)["rule"])


def _rule(entry: dict, user: bool = False) -> LineRule:
    known = {"name", "family", "pattern", "where", "max_words", "examples", "requires"}
    unknown = set(entry) - known
    if unknown or not {"name", "family", "pattern"} <= set(entry):
        raise ValueError(f"rule {entry.get('name', '?')!r}: needs name, family, pattern; "
                         f"unknown keys: {sorted(unknown)}")
    return LineRule(**{**entry, "examples": tuple(entry.get("examples", ())),
                       "requires": tuple(entry.get("requires", ())), "user": user})


class RuleSet:
    """All enabled line rules, compiled into one alternation per word budget.

    One `fullmatch` per line finds the rule that takes the whole line; `lastgroup` names it.
    The "any" rules come first in the order (file order within each), then the "edge" rules,
    so an "edge" rule is returned only when no "any" rule takes the line: the caller keeps it
    only at the edges. Rules are bucketed by `max_words` so a long line is only tried against
    rules that allow its length. The few expensive rules that declare `requires` (90% of the
    regex time) stay out of the shared alternation: each is tried on its own, and only on
    lines holding one of its substrings and when it comes before the rule the alternation found.
    Users' patterns are tried on their own too, in their place in the order, by RE2 (`linear`).
    """

    def __init__(self, rules: tuple[LineRule, ...]):
        names = [rule.name for rule in rules]
        duplicates = {n for n in names if names.count(n) > 1}
        if duplicates:
            raise ValueError(f"rule names must be unique; repeated: {sorted(duplicates)}")
        self.rules = rules
        # line text -> (words, rule) for StripBoilerplate: this object is cached per options
        self.verdicts: dict[str, tuple[int, LineRule | None]] = {}
        self._ordered = [r for r in rules if r.where == "any"] + [r for r in rules if r.where == "edge"]
        self.by_group = {f"r{i}": rule for i, rule in enumerate(self._ordered)}
        self.max_words = max((r.max_words for r in rules), default=0)
        self._budgets = sorted({r.max_words for r in rules})
        self._shared: dict[int, re.Pattern | None] = {}
        self._guarded: dict[int, list[tuple[int, LineRule, re.Pattern]]] = {}
        alone = {i: linear(r.pattern, r.name) if r.user else re.compile(r.pattern, re.IGNORECASE)
                 for i, r in enumerate(self._ordered) if r.requires or r.user}
        for budget in self._budgets:
            parts = [f"(?P<r{i}>{r.pattern})" for i, r in enumerate(self._ordered)
                     if r.max_words >= budget and not (r.requires or r.user)]
            self._shared[budget] = re.compile("|".join(parts), re.IGNORECASE) if parts else None
            self._guarded[budget] = [(i, r, alone[i]) for i, r in enumerate(self._ordered)
                                     if r.max_words >= budget and (r.requires or r.user)]

    def _budget(self, words: int) -> int | None:
        for budget in self._budgets:
            if words <= budget:
                return budget
        return None

    def match(self, line: str, words: int) -> LineRule | None:
        """The rule that takes the whole line: an "any" rule if one does, else an "edge" rule."""
        budget = self._budget(words)
        if budget is None or len(line) > MAX_RULE_CHARS:
            return None
        shared = self._shared[budget]
        found = shared.fullmatch(line) if shared else None
        winner = self.by_group[found.lastgroup] if found else None
        before = int(found.lastgroup[1:]) if found else len(self._ordered)
        guarded = self._guarded[budget]
        if guarded and guarded[0][0] < before:
            folded = fold_case(line)
            for i, rule, pattern in guarded:  # only the rules this line's length allows
                if i >= before:
                    break
                for trigger in rule.requires or ("",):  # a plain loop: no generator per rule and line
                    if trigger in folded:
                        if pattern.fullmatch(line):
                            return rule
                        break
        return winner


# re.IGNORECASE matches "i" to dotless "ı" and dotted "İ", which casefold() does not fold to
# "i"; every other character it matches to an ASCII letter casefolds to that letter.
IGNORECASE_EXTRA = str.maketrans({"İ": "i", "ı": "i"})


def fold_case(text: str) -> str:
    """The text in which a case-folded substring stands wherever re.IGNORECASE would find it."""
    if "\u0130" in text or "\u0131" in text:
        text = text.translate(IGNORECASE_EXTRA)
    return text.casefold()


def build_ruleset(options: RuleOptions) -> RuleSet:
    """The compiled rules for these options (cached: compiling takes milliseconds)."""
    return _build_ruleset(json.dumps(dataclasses.asdict(options), sort_keys=True))


@lru_cache(maxsize=16)
def _build_ruleset(options_json: str) -> RuleSet:
    from ..corpus.templates import RULE as TEMPLATE_RULE
    from .context import CONTEXT_RULE_NAMES

    options = json.loads(options_json)
    extras = tuple(_rule(dict(extra), user=True) for extra in options["extra"])
    taken = {rule.name for rule in extras} & {*CONTEXT_RULE_NAMES, TEMPLATE_RULE}
    if taken:  # a removal's rule names one family: the card and audit tables rely on it
        raise ValueError(f"extra rule names {sorted(taken)} are built-in rules' names; choose others")
    rules = default_rules() + extras
    disabled = set(options["disabled"])
    return RuleSet(tuple(r for r in rules if r.name not in disabled and r.family not in disabled))


def count_words(text: str) -> int:
    """The number of runs of non-space characters (WORD): str.split and the regex's \\s agree on
    what a space is for every code point (tests/test_rules.py), and split is 3x faster."""
    return len(text.split())


def known_rule_names() -> frozenset[str]:
    """Every name `disabled` can switch off: the rules of rules.toml and their families, the rules
    written in code (context.py; each marks a family of rules.toml or its own name) and the body
    model (body/judge.py: its own rule and family). The options are checked against this, so a
    misspelt name is an error, not a silent no-op: a rule added in code must be listed here."""
    from .body.judge import RULE as BODY_RULE
    from .boilerplate import ABOVE_HEADLINE
    from .context import CONTEXT_RULE_NAMES

    rules = default_rules()
    return frozenset({r.name for r in rules} | {r.family for r in rules} | set(CONTEXT_RULE_NAMES)
                     | {BODY_RULE, ABOVE_HEADLINE})


def relaxed_families(options: RuleOptions) -> tuple[str, ...]:
    """Families the user switched off, wholly or by one of their rules: their lines may be published."""
    families = {rule.family for rule in default_rules() if rule.name in options.disabled}
    return tuple(sorted(families | set(options.disabled)))
