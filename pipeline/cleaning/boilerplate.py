"""Step: decide, line by line, what is page chrome, and record every removal with its rule."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..document import Document, Removal
from ..options import RuleOptions
from .context import CONTEXT_RULES, TERMINAL, Article, Line
from .rules import build_ruleset, count_words

BODY_MIN_WORDS = 10  # a line this long, ending a sentence, that no rule took, is article body
LOWER_START = re.compile(r"^[a-z]")


def _is_body_like(line: Line) -> bool:
    return line.rule is None and line.words >= BODY_MIN_WORDS and bool(TERMINAL.search(line.text))


@dataclass(frozen=True)
class StripBoilerplate:
    """Pattern rules first (edge rules only in the head and tail), then the context rules."""

    options: RuleOptions = field(default_factory=RuleOptions)
    name: str = "strip_boilerplate"

    def __call__(self, doc: Document) -> Document:
        rules = build_ruleset(self.options)
        lines: list[Line] = []
        edge_rule = []
        for number, text in enumerate(doc.text.split("\n"), start=1):
            if not text:
                continue
            line = Line(number, text, count_words(text))
            anywhere = rules.match(text, line.words, "any")
            if anywhere:
                line.rule, line.family = anywhere.name, anywhere.family
            edge_rule.append(None if anywhere else rules.match(text, line.words, "edge"))
            lines.append(line)

        body = [i for i, line in enumerate(lines) if edge_rule[i] is None and _is_body_like(line)]
        head_end, tail_start = (body[0], body[-1] + 1) if body else (len(lines), 0)
        article = Article(lines, head_end, tail_start, self.options,
                          given_title=doc.given.get("title") or None,
                          disabled=frozenset(self.options.disabled))
        for i, rule in enumerate(edge_rule):
            if rule is not None and article.at_edge(i):
                lines[i].rule, lines[i].family = rule.name, rule.family
        for context_rule in CONTEXT_RULES:
            context_rule(article)

        doc.title = article.title
        doc.lines = [(line.number, line.text) for line in lines if line.rule is None]
        doc.removals = [Removal(line.number, line.rule, line.family, line.text)
                        for line in lines if line.rule is not None]
        return doc
