"""`newsclean rules`: every rule and family, in the order they run, where in an article each
applies, and an example line; the names `--disable` and `[rules] disabled` take."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass

from .cleaning.body.judge import RULE as BODY_RULE
from .cleaning.boilerplate import ABOVE_HEADLINE
from .cleaning.context import CONTEXT_RULE_NAMES
from .cleaning.fix import DAMAGE_FAMILY, LOST_BYTES_RULE, MOJIBAKE_RULE
from .cleaning.rules import default_rules, known_rule_names
from .corpus.templates import RULE as TEMPLATE_RULE
from .publish.card import FAMILY_DOCS

WHERE = {"any": "anywhere", "edge": "head or tail only"}
# The rules written in code (cleaning/context.py, run in this order after the pattern rules):
# the family each marks, where it looks, and an example (<...>: a description, where the line
# alone does not show it: these rules judge a line by the rest of the article).
CONTEXT = {
    "breadcrumb_title": ("breadcrumb", "head", "Home World <the headline>"),
    "title": ("title", "head: the headline line, moved into `title`", "Storm hits the coast of Kerala"),
    "duplicate_title": ("duplicate_title", "anywhere: the headline again", "Storm hits the coast of Kerala"),
    "caption_repeated": ("image_caption", "anywhere", "<a caption that the credit line below it repeats>"),
    "caption_beside_chrome": ("image_caption", "anywhere", "<a short caption-like line between chrome lines>"),
    "pull_quote": ("pull_quote", "anywhere", "<a short line repeated word for word as a sentence or clause of a body paragraph>"),
    "desk_signature": ("credit", "tail", "<a desk signature at the end, e.g. a reporter's initials>"),
    "author_box": ("byline", "anywhere", "<the author's name and biography under an 'About the author' heading>"),
    "comment_thread": ("comment_prompt", "anywhere", "<a reader comment's author above its time, its text up to its 'Reply'>"),
    "login_form": ("navigation", "anywhere", "<a login form's fields and buttons, one per line, a password field among them>"),
    "related_list": ("related_link", "anywhere", "<other stories' headlines or topics under a 'Related', 'More from ...' or 'Tags:' heading>"),
}


@dataclass(frozen=True)
class RuleRow:
    order: int
    name: str
    family: str
    stage: str  # repair, pattern, context, body model, corpus
    where: str
    example: str
    can_disable: bool


def rule_rows() -> list[RuleRow]:
    """Every rule newsclean can record in `removals/`, in the order an article meets them."""
    known = known_rule_names()
    rows = [RuleRow(1, MOJIBAKE_RULE, DAMAGE_FAMILY, "repair", "anywhere",
                    "<a line still holding mojibake after ftfy's repair>", MOJIBAKE_RULE in known),
            RuleRow(2, LOST_BYTES_RULE, DAMAGE_FAMILY, "repair", "anywhere",
                    "<a line holding U+FFFD: bytes lost in decoding>", LOST_BYTES_RULE in known)]
    for rule in default_rules():
        rows.append(RuleRow(len(rows) + 1, rule.name, rule.family, "pattern",
                            f"{WHERE[rule.where]}, up to {rule.max_words} words", rule.examples[0], True))
    for name in CONTEXT_RULE_NAMES:
        family, where, example = CONTEXT[name]
        rows.append(RuleRow(len(rows) + 1, name, family, "context", where, example, True))
    rows.append(RuleRow(len(rows) + 1, BODY_RULE, BODY_RULE, "body model",
                        "anywhere: every line the rules left, judged with its neighbours",
                        "<a menu, another story's teaser, a widget or a comment>", True))
    rows.append(RuleRow(len(rows) + 1, ABOVE_HEADLINE, BODY_RULE, "body model",
                        "head: a line under 10 words above the headline the model picked",
                        "<a menu entry, the date of the day or a section name over the headline>", True))
    rows.append(RuleRow(len(rows) + 1, TEMPLATE_RULE, TEMPLATE_RULE, "corpus",
                        "anywhere, over the whole corpus ([corpus.templates])",
                        "<a short line one source repeats in many of its articles>", False))
    return rows


def families(rows: list[RuleRow]) -> dict[str, list[RuleRow]]:
    grouped: dict[str, list[RuleRow]] = {}
    for row in rows:
        grouped.setdefault(row.family, []).append(row)
    return grouped


def rules_text(rows: list[RuleRow]) -> str:
    """Families in order of their first rule; under each, its rules with order, stage, place, example."""
    width = max(len(row.name) for row in rows)
    out = []
    for family, members in families(rows).items():
        switch = "" if all(m.can_disable for m in members) else "  (not switched off by --disable)"
        out.append(f"{family}: {FAMILY_DOCS.get(family, '')}{switch}")
        for row in members:
            out.append(f"  {row.order:>3}  {row.name:<{width}}  {row.stage:<10}  {row.where}")
            example = row.example if row.example.startswith("<") else repr(row.example)
            out.append(f"       {'':<{width}}  e.g. {example}")
    out.append("")
    out.append("Switch off a rule or a whole family: newsclean run --disable NAME (repeatable), "
               "or [rules] disabled = [\"NAME\"] in --config.")
    return "\n".join(out)


def rules_json(rows: list[RuleRow]) -> str:
    return json.dumps({"rules": [asdict(row) for row in rows],
                       "families": {family: FAMILY_DOCS.get(family, "") for family in families(rows)}},
                      indent=2, ensure_ascii=False)
