"""Step: decide, line by line, what is page chrome, and record every removal with its rule."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property, partial
from typing import Callable, NamedTuple

import numpy as np

from ..document import Document, Removal
from ..options import RuleOptions
from ..metadata.title import loose, strip_breadcrumb
from .body.judge import (RULE as BODY_RULE, headline_looks, headline_page, is_protected, judge_body, pick_headline,
                         removable)
from .body.features import LONG_WORDS
from .body.model import shipped_model
from .context import BODY_MIN_WORDS, CONTEXT_RULES, Article, Line, could_be_title, follows_headline
from .repair import continues_paragraph, fix_stray_punctuation
from .rules import LineRule, RuleSet, build_ruleset, count_words
from .sentences import ends_sentence

# A headline of fewer words ("World", "Sign in") is more often a menu entry the rules took for it.
HEADLINE_MIN_WORDS = 4
ABOVE_HEADLINE = "above_headline"  # a rule of the body model's family
MAX_PROSE_ABOVE = 0.3  # share of the paragraph words above a headline that makes the pick suspect
MAX_PASSES = 4  # real articles settle in two; the bound keeps a pathological text linear
# Rounds of rules and body model, each until it removes nothing: every round but the last removes
# a line, so it ends by itself; the bound keeps a pathological page linear.
MAX_ROUNDS = 16
# Short lines whose verdict (words, pattern rule) is remembered, per rule set and process: a
# site's chrome recurs in every one of its articles and is what the patterns spend their time
# on. A verdict depends on the line's text alone, so remembering it cannot change an output.
# At most MAX_VERDICTS lines of at most MAX_VERDICT_CHARS characters: ~5 MB of ASCII text (20 MB
# if every character took 4 bytes); a longer line (a data URI, an unspaced CJK paragraph) is one
# "word" but no chrome, and is judged afresh each time.
MAX_VERDICTS = 16_384
MAX_VERDICT_CHARS = 300


def _moved_to_title(removed: list[Line], number: int) -> None:
    """The headline's own line, taken as a repeat of the given headline, is the headline."""
    for line in removed:
        if line.number == number and line.rule == "duplicate_title":
            line.rule = line.family = "title"


def headline_part(line: Line) -> tuple[int, str]:
    """(line number, text) of the headline in the line the model picked: a headline is one line
    of the page. The rules join a line that stops mid-sentence to a next one in lower case (a
    sentence the scraper split), and so a headline to what follows it ("... in 2025" + "by",
    "... Guide" + "comments 36") or a menu word to it ("Sponsor me" + "rustc_codegen_gcc: ..."):
    the first part is the headline when it is long enough to be
    one, else the longer of the first and the last (the first if equal). Never a middle part:
    taking it out would bring together the two lines around it, to be joined on the next
    cleaning."""
    first, last = line.parts[0], line.parts[-1]
    if len(line.parts) == 1:
        return line.number, line.text
    if count_words(first[1]) >= HEADLINE_MIN_WORDS or count_words(first[1]) >= count_words(last[1]):
        return first
    return last


def above_headline(lines: list[Line], headline: int) -> list[Line]:
    """The short lines above the headline the model picked (line number `headline`): in a
    full-page scrape what stands over the article's headline is the site's head (menus, other
    stories, the date of the day). The headline is picked among the lines above the page's
    first confident paragraph, but a wrong pick in a listicle can sit below its intro: a line of
    LONG_WORDS words or more is left to the body model, and a pick with more than
    MAX_PROSE_ABOVE of the page's paragraph words over it cuts nothing (site-disjoint CV on
    textdev, at the default threshold: recall 0.587 -> 0.655, retention 0.987 -> 0.985)."""
    paragraphs = [line for line in lines if line.words >= LONG_WORDS and ends_sentence(line.text)]
    over = sum(line.words for line in paragraphs if line.number < headline)
    if over > MAX_PROSE_ABOVE * sum(line.words for line in paragraphs):
        return []
    return [line for line in lines if line.number < headline and line.words < LONG_WORDS]


def _is_body_like(line: Line) -> bool:
    return line.rule is None and line.words >= BODY_MIN_WORDS and ends_sentence(line.text)


def _is_headline(lines: list[Line], edge_rule: list, index: int) -> bool:
    """The first line that no rule takes (at an edge, an edge rule would), shaped like a headline."""
    first = next(i for i, line in enumerate(lines) if line.rule is None and edge_rule[i] is None)
    return index == first and could_be_title(lines[index], follows_headline(lines, index))


def _protected(doc: Document) -> frozenset[int]:
    """Paragraphs the HTML page marks as its article's (extract/html.py): never the model's."""
    return frozenset(doc.extra.get("protected_lines") or ())


class Verdict(NamedTuple):
    """The rules' verdict on a document's lines (`StripBoilerplate.rule_passes`)."""

    numbered: list[tuple[int, str]]  # the input's (line number, text), blank lines left out
    lines: list[Line]  # standing
    removed: list[Line]
    title: str | None


class Prepared(NamedTuple):
    """What `StripBoilerplate.prepare` found for a document: the rules' verdict, and the models'
    first look at its page, judged with the other prepared documents' pages."""

    verdict: Verdict
    first_look: np.ndarray | None  # P(article text) of verdict.lines
    headline_look: tuple[np.ndarray, np.ndarray] | None  # `headline_looks`, where the headline model runs


@dataclass(frozen=True)
class StripBoilerplate:
    """Pattern rules first (edge rules only in the head and tail), then the context rules."""

    options: RuleOptions = field(default_factory=RuleOptions)
    name: str = "strip_boilerplate"
    # From `prepare`, by (text, given title): all a verdict and the looks depend on besides the
    # options (the url's slug is read at the pick, in the call). (A page's protected lines only decide whether the headline look is worth taking;
    # the call decides again whether to use it.) Each call takes its document's entry out.
    _prepared: dict[tuple[str, str | None], Prepared] = field(default_factory=dict, init=False, repr=False,
                                                             compare=False)

    @cached_property
    def rules(self) -> RuleSet:
        return build_ruleset(self.options)

    @property
    def _uses_model(self) -> bool:
        return self.options.body_model and BODY_RULE not in self.options.disabled

    def prepare(self, docs: list[Document],
                charge: Callable[[int, Callable[[], Verdict]], Verdict] = lambda k, work: work()) -> None:
        """Judge many documents' pages together before their own calls: the rules' verdict on
        each (charged to its time budget by `charge`), then the body and headline models' first
        look at all their pages at once (`stacked`; page by page, numpy's per-call cost was most
        of the models' time). The calls find that work done and give what they would give
        alone. A document whose rules fail or run out of time here is left to its own call.
        `charge(k, work)` runs `work()` on the k-th document's time budget (`steps._prepare`)."""
        self._prepared.clear()
        if not self._uses_model:
            return
        verdicts: dict[tuple[str, str | None], tuple[Document, Verdict]] = {}
        for k, doc in enumerate(docs):
            try:
                verdicts[doc.text, self._given(doc)] = doc, charge(k, partial(self._first_verdict, doc))
            except Exception:  # noqa: BLE001 - its own call meets the error, and reports it
                continue
        model, threshold = shipped_model(), self.options.body_model_threshold
        pages = [([line.text for line in verdict.lines], [line.loose for line in verdict.lines])
                 for _, verdict in verdicts.values()]
        headlines = {}
        for key, probability in zip(list(verdicts), model.page_probabilities(pages), strict=True):
            doc, verdict = verdicts[key]
            dropped = removable(verdict.lines, probability, threshold, _protected(doc)).any()
            if self._wants_headline(key[1], verdict.title, bool(dropped)):
                headlines[key] = headline_page(verdict.lines, verdict.removed)
            self._prepared[key] = Prepared(verdict, probability, None)
        looks = headline_looks(model, list(headlines.values()))
        for key, look in zip(list(headlines), looks, strict=True):
            self._prepared[key] = self._prepared[key]._replace(headline_look=look)

    def _wants_headline(self, given: str | None, title: str | None, dropped: bool) -> bool:
        """Whether the headline model may pick the headline. A page the rules left clean (nothing
        for the model to remove) keeps the rules' headline when it looks like one."""
        return given is None and "title" not in self.options.disabled and (
            dropped or title is None or len(title.split()) < HEADLINE_MIN_WORDS)

    def forget(self) -> None:
        """Drop what `prepare` found (it failed, or its documents are not called): the calls do
        all the work."""
        self._prepared.clear()

    @staticmethod
    def _given(doc: Document) -> str | None:
        return doc.given.get("title") or None

    def _first_verdict(self, doc: Document) -> Verdict:
        numbered = [(number, text) for number, text in enumerate(doc.text.split("\n"), start=1) if text]
        return Verdict(numbered, *self.rule_passes(numbered, self._given(doc)))

    def __call__(self, doc: Document) -> Document:
        given = self._given(doc)
        prepared = self._prepared.pop((doc.text, given), None)
        if prepared is None:
            prepared = Prepared(self._first_verdict(doc), None, None)
        (numbered, lines, removed, title), first_look, headline_look = prepared
        scores: dict[int, float] = {}
        disabled = set(self.options.disabled)
        if self._uses_model:
            model = shipped_model()
            threshold = self.options.body_model_threshold
            protected = _protected(doc)
            kept, dropped = judge_body(model, lines, threshold, protected, first_look)
            # Where the headline model picks the headline, the rules judge the page again
            # knowing it, as they will when the clean text is cleaned with its title.
            cut: list[Line] = []
            if self._wants_headline(given, title, bool(dropped)):
                chosen = pick_headline(model, lines, removed, headline_look, url=doc.given.get("url"))
                number = chosen.number if chosen is not None else 0
                if chosen is not None and chosen.rule != "title":
                    number, text = headline_part(chosen)
                    lines, removed, title = self.rule_passes(numbered, strip_breadcrumb(text))
                    _moved_to_title(removed, number)
                    kept, dropped = judge_body(model, lines, threshold, protected)
                if chosen is not None and ABOVE_HEADLINE not in disabled:
                    cut = [line for line in above_headline(kept, number) if not is_protected(line, protected)]
                    if cut:  # the page the model judged has changed: it judges it again
                        for line in cut:
                            line.rule, line.family = ABOVE_HEADLINE, BODY_RULE
                        kept = [line for line in kept if line.rule is None]
                        removed += cut
                        kept, more = judge_body(model, kept, threshold, protected)
                        dropped += more
            # What the model removes moves the edges the rules go by: the rules judge what
            # stands again, then the model, until neither removes anything.
            for round_ in range(MAX_ROUNDS):
                lines = kept
                removed += [line for line, _ in dropped]
                scores.update((id(line), p) for line, p in dropped)
                if not (dropped or cut) or round_ == MAX_ROUNDS - 1:
                    break
                cut = []
                lines, more, title = self.rule_passes([part for line in kept for part in line.parts], title)
                removed += more
                if not more and [line.text for line in lines] == [line.text for line in kept]:
                    break  # (lines the model's removals brought together are joined: judged again)
                kept, dropped = judge_body(model, lines, threshold, protected)
        doc.title = title
        doc.lines = [part for line in lines for part in line.parts]
        doc.removals = sorted((Removal(number, line.rule, line.family, text, scores.get(id(line)))
                               for line in removed for number, text in line.parts),
                              key=lambda removal: removal.line)
        return doc

    def rule_passes(self, numbered: list[tuple[int, str]], title: str | None) -> tuple[list[Line], list[Line], str | None]:
        """The named rules' verdict on the (line number, text) lines, the headline given or not:
        (lines standing, lines removed, headline)."""
        lines = [self._line(number, text, ((number, text),)) for number, text in numbered]
        # Removing chrome moves the edges and the first line, and brings together the halves of
        # a paragraph the scraper split (which the repair step joins). Classify what stands
        # again, joined halves as one line, until nothing changes: cleaning clean text then
        # changes nothing (idempotence).
        # Once a pass finds the headline, later passes know it, so its line's place cannot make
        # the lead paragraph look like a second headline.
        removed: list[Line] = []
        for _ in range(MAX_PASSES):
            article = self._classify(lines, title)
            title = article.title
            gone = [line for line in lines if line.rule is not None]
            standing = [line for line in lines if line.rule is None]
            lines = self._join_split(standing)
            removed += gone
            if not gone and len(lines) == len(standing):
                break
        return lines, removed, title

    def _line(self, number: int, text: str, parts: tuple[tuple[int, str], ...]) -> Line:
        # Rules and word counts judge the line as the repair step will leave it ("#a, #b ."
        # becomes "#a, #b.", "article ." one word shorter), so what is chrome after repair is
        # chrome before it, and a line is a body paragraph before repair if it is one after.
        verdicts = self.rules.verdicts
        verdict = verdicts.get(text)
        if verdict is None:
            repaired = fix_stray_punctuation(text)
            words = count_words(repaired)
            verdict = (words, self.rules.match(repaired, words))
            if words <= self.rules.max_words and len(text) <= MAX_VERDICT_CHARS:  # chrome-sized
                if len(verdicts) >= MAX_VERDICTS:
                    verdicts.clear()
                verdicts[text] = verdict
        line = Line(number, text, verdict[0], parts=parts)
        line.pattern = verdict[1]
        return line

    def _join_split(self, lines: list[Line]) -> list[Line]:
        """Lines that the repair step will join (a sentence split by the scraper) as one."""
        groups: list[list[Line]] = []
        for line in lines:
            if groups and continues_paragraph(groups[-1][-1].text, line.text):
                groups[-1].append(line)
            else:
                groups.append([line])
        if len(groups) == len(lines):
            return lines
        return [group[0] if len(group) == 1 else
                self._line(group[0].number, " ".join(line.text for line in group),
                           tuple(part for line in group for part in line.parts))
                for group in groups]

    def _classify(self, lines: list[Line], given_title: str | None) -> Article:
        """One pass: pattern rules (edge rules only in the head and tail), then context rules."""
        edge_rule: list[LineRule | None] = []
        for line in lines:
            rule = line.pattern
            if rule is not None and rule.where == "any":
                line.rule, line.family = rule.name, rule.family
            edge_rule.append(rule if rule is not None and rule.where == "edge" else None)

        body = [i for i, line in enumerate(lines) if edge_rule[i] is None and _is_body_like(line)]
        if given_title:  # the headline is known: its repeats do not open the body
            headline = loose(given_title)
            body = [i for i in body if lines[i].loose != headline]
        elif len(body) > 1 and _is_headline(lines, edge_rule, body[0]):
            # a headline written as a sentence does not open the body, nor do its repeats
            headline = lines[body[0]].loose
            body = [i for i in body[1:] if lines[i].loose != headline]
        head_end, tail_start = (body[0], body[-1] + 1) if body else (len(lines), 0)
        article = Article(lines, head_end, tail_start, self.options, given_title=given_title,
                          disabled=frozenset(self.options.disabled))
        for i, rule in enumerate(edge_rule):
            if rule is not None and article.at_edge(i):
                lines[i].rule, lines[i].family = rule.name, rule.family
        for context_rule in CONTEXT_RULES:
            context_rule(article)
        return article
