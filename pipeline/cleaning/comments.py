"""Reader comments under an article: each comment's time, its author and, where a 'Reply' button
closes it, its text (`comment_thread`, a context rule: it runs in `context.CONTEXT_RULES`).

A comment's text is written like a paragraph and its author like a subheading, so neither the
line rules nor the body model can tell them from the article alone; the time between them can.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .sentences import ends_sentence

if TYPE_CHECKING:
    from .context import Article

# A reader comment's time, alone on its line: a date with a clock time ('June 19, 2024 at 4:42
# am', '10:31 am on January 7, 2016') or a time ago ('3 hours ago'). In the head and tail the
# `dateline` rule takes these (the published date is read from its lines); between paragraphs,
# where comments stand among their own text, this rule does. A date without a time may head an
# entry of a timeline and stays.
_WEEKDAY = r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s++)?"
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE = (_WEEKDAY + r"(?:\d{4}-\d{2}-\d{2}|\d{1,2}[/.]\d{1,2}[/.]\d{2,4}|\d{1,2}(?:st|nd|rd|th)?\s++" + _MONTH
         + r",?\s++\d{4}|" + _MONTH + r"\s++\d{1,2}(?:st|nd|rd|th)?,?\s++\d{4})")
_CLOCK = r"\d{1,2}[:.]\d{2}(?:[:.]\d{2})?(?:\s*+[ap]\.?m\.?)?(?:\s*+[a-z]{2,4})?"  # '4:42 am', '19:58 CET'
# Spaces are possessive (`\s*+`): a run of them is never given back, so no line makes the
# pattern backtrack through it (tests/test_safety_patterns.py).
COMMENT_TIME = re.compile(
    _DATE + r"\s*+(?:(?:,|at|@|\||-|–|—|/|•|·)\s*+)?" + _CLOCK + r"(?:\s*+[|•·-]?\s*+(?:reply|permalink|#))?"
    + "|" + _CLOCK + r"\s*+(?:(?:,|on|@|\||-|–|—|/|•|·)\s*+)?" + _DATE
    + r"|(?:\d{1,3}|an?)\s++(?:seconds?|minutes?|mins?|hours?|hrs?|days?|weeks?)\s++ago|\d{1,3}\s++(?:months?|years?)\s++ago",
    re.IGNORECASE)
COMMENT_TIME_CHARS = 80
COMMENT_TIME_WORDS = 12
# Around it: the author above ('Shivya Nath says:', 'Dawn says', 'MK'), and what stands between
# it and the comment's 'Reply' button.
COMMENT_AUTHOR_WORDS = 4  # names are short; a live blog's entry title above a time is longer
COMMENT_SAYS = re.compile(r"(?:\S+\s+){0,3}\S+\s+(?:says|wrote)\s*:?", re.IGNORECASE)  # 'Dawn says', not 'X said:'
# The button alone: 'Reply', '3 replies', 'Log in to Reply', 'Reply ↓' ('Reply from the council' is
# a subheading).
COMMENT_REPLY = re.compile(r"(?:\d+\s+)?(?:reply|replies|antworten|répondre|responder|rispondi)(?:\s*[↓→»›])?"
                           r"|log\s?in to reply", re.IGNORECASE)
COMMENT_MAX_LINES = 15  # lines from a comment's time to its 'Reply'; none found: the lines stay
COMMENT_PROMPT_RULES = frozenset({"comment_prompt", "comment_form", "comment_moderation"})  # "3 Comments", ...


def _comment_time(article: Article, index: int) -> bool:
    """A line standing between paragraphs that is a time alone (in the head and tail `dateline`
    takes these, and they stay its: the published date is read from them)."""
    line = article.lines[index]
    if line.rule is not None or article.at_edge(index) or line.words > COMMENT_TIME_WORDS:
        return False
    text = line.text.strip()
    return (len(text) <= COMMENT_TIME_CHARS and (":" in text or "." in text or "ago" in text.lower())
            and COMMENT_TIME.fullmatch(text) is not None)


def _reply_after(article: Article, index: int, times: set[int]) -> int | None:
    """The comment's 'Reply' button within COMMENT_MAX_LINES after its time, if no time comes first."""
    for j in range(index + 1, min(len(article.lines), index + 1 + COMMENT_MAX_LINES)):
        if j in times:
            return None
        if COMMENT_REPLY.fullmatch(article.lines[j].text.strip()):
            return j
    return None


def _says(article: Article, index: int) -> bool:
    """A standing 'NAME says:' line at `index` (in range)."""
    return (0 <= index < len(article.lines) and article.lines[index].rule is None
            and COMMENT_SAYS.fullmatch(article.lines[index].text.strip()) is not None)


def _author_line(article: Article, index: int) -> bool:
    line = article.lines[index]
    return line.rule is None and (COMMENT_SAYS.fullmatch(line.text.strip()) is not None or (
        line.words <= COMMENT_AUTHOR_WORDS and not ends_sentence(line.text)))


def comment_thread(article: Article) -> None:
    """A reader comment, where the page shows it is one: a time line between paragraphs with a
    'Reply' button within 15 lines after it, or with a comment prompt ("3 Comments", "Leave a
    Reply", a comment form) above it on the page, or on a page where two times stand beside a
    'NAME says:'. Then the time goes, with the author's line right above it (at most 4 words and
    no sentence, or 'NAME says:'), a 'NAME says:' right below it and, up to its button, the
    comment's text and the button. Without that evidence nothing is taken: a live blog's or a
    timeline's times, a fixture list's dates and the lines above them stay."""
    lines = article.lines
    times = [i for i in range(len(lines)) if _comment_time(article, i)]
    if not times:
        return
    at = set(times)
    first_prompt = next((i for i, line in enumerate(lines) if line.rule in COMMENT_PROMPT_RULES), len(lines))
    signed = sum(_says(article, i - 1) or _says(article, i + 1) for i in times) >= 2  # 'NAME says:' at two times
    for i in times:
        reply = _reply_after(article, i, at)
        if reply is None and first_prompt > i and not signed:
            continue
        article.mark(i, "comment_thread", "comment_prompt")
        if i > 0 and _author_line(article, i - 1):
            article.mark(i - 1, "comment_thread", "comment_prompt")
        if _says(article, i + 1):
            article.mark(i + 1, "comment_thread", "comment_prompt")
        if reply is not None:
            for k in range(i + 1, reply + 1):
                article.mark(k, "comment_thread", "comment_prompt")
