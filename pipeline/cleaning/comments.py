"""Reader comments under an article: each comment's time, its author and, where a 'Reply' button
closes it, its text (`comment_thread`, a context rule: it runs in `context.CONTEXT_RULES`).

A comment's text is written like a paragraph and its author like a subheading, so neither the
line rules nor the body model can tell them from the article alone; the time between them can.
"""
from __future__ import annotations

import re

from .context import Article, ends_sentence

# A reader comment's time, alone on its line: a date with a clock time ('June 19, 2024 at 4:42
# am', '10:31 am on January 7, 2016') or a time ago ('3 hours ago'). In the head and tail the
# `dateline` rule takes these (the published date is read from its lines); between paragraphs,
# where comments stand among their own text, this rule does. A date without a time may head an
# entry of a timeline and stays.
_WEEKDAY = r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?"
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE = (_WEEKDAY + r"(?:\d{4}-\d{2}-\d{2}|\d{1,2}[/.]\d{1,2}[/.]\d{2,4}|\d{1,2}(?:st|nd|rd|th)?\s+" + _MONTH
         + r",?\s+\d{4}|" + _MONTH + r"\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4})")
_CLOCK = r"\d{1,2}[:.]\d{2}(?:[:.]\d{2})?(?:\s*[ap]\.?m\.?)?(?:\s*[a-z]{2,4})?"  # '4:42 am', '19:58 CET'
COMMENT_TIME = re.compile(
    _DATE + r"\s*(?:(?:,|at|@|\||-|–|—|/|•|·)\s*)?" + _CLOCK + r"(?:\s*[|•·-]?\s*(?:reply|permalink|#))?"
    + "|" + _CLOCK + r"\s*(?:(?:,|on|@|\||-|–|—|/|•|·)\s*)?" + _DATE
    + r"|(?:\d{1,3}|an?)\s+(?:seconds?|minutes?|mins?|hours?|hrs?|days?|weeks?)\s+ago|\d{1,3}\s+(?:months?|years?)\s+ago",
    re.IGNORECASE)
COMMENT_TIME_WORDS = 12
# Around it: the author above ('Shivya Nath says:', 'Dawn says', 'MK'), and what stands between
# it and the comment's 'Reply' button.
COMMENT_AUTHOR_WORDS = 4  # names are short; a live blog's entry title above a time is longer
COMMENT_SAYS = re.compile(r"[^.!?]{1,60}\s(?:says|said|wrote|writes)\s*:?", re.IGNORECASE)
COMMENT_REPLY = re.compile(r"(?:\d+\s+|log\s?in to\s+)?(?:reply|replies|antworten|répondre|responder|rispondi)\b.{0,40}",
                           re.IGNORECASE)
COMMENT_REPLY_WORDS = 5
COMMENT_MAX_LINES = 15  # lines from a comment's time to its 'Reply'; none found: the lines stay


def _standing(article: Article, index: int, step: int) -> int | None:
    """The nearest line from `index` (exclusive) in direction `step` that no rule took."""
    index += step
    while 0 <= index < len(article.lines):
        if article.lines[index].rule is None:
            return index
        index += step
    return None


def _comment_time(article: Article, index: int) -> bool:
    line = article.lines[index]
    text = line.text.strip()
    if line.rule == "dateline":  # in the tail: after the last comment with a text of 10 words or more
        return index >= article.tail_start and COMMENT_TIME.fullmatch(text) is not None
    return (line.rule is None and not article.at_edge(index) and line.words <= COMMENT_TIME_WORDS
            and (":" in text or "." in text or "ago" in text.lower()) and COMMENT_TIME.fullmatch(text) is not None)


def _reply_after(article: Article, index: int, times: set[int]) -> int | None:
    """The comment's 'Reply' button within COMMENT_MAX_LINES after its time, if no time comes first."""
    for j in range(index + 1, min(len(article.lines), index + 1 + COMMENT_MAX_LINES)):
        if j in times:
            return None
        line = article.lines[j]
        if line.words <= COMMENT_REPLY_WORDS and COMMENT_REPLY.fullmatch(line.text.strip()):
            return j
    return None


def comment_thread(article: Article) -> None:
    """A reader comment around its time line: the time; where the page has two comment times or a
    'Reply' button closes this comment within 15 lines, the author's line above the time (at most
    4 words and no sentence); a 'NAME says:' line above or below it; and the text between the
    time and its button, and the button. Without these the neighbours are left to the body model:
    one dated line under a list's last item is no thread."""
    lines = article.lines
    times = [i for i in range(len(lines)) if _comment_time(article, i)]
    for i in times:
        article.mark(i, "comment_thread", "comment_prompt")
    at = set(times)
    for i in times:
        reply = _reply_after(article, i, at)
        above, below = _standing(article, i, -1), _standing(article, i, 1)
        for side in (above, below):
            if side is not None and lines[side].words <= 8 and COMMENT_SAYS.fullmatch(lines[side].text.strip()):
                article.mark(side, "comment_thread", "comment_prompt")
        if (above is not None and (len(times) > 1 or reply is not None)
                and lines[above].words <= COMMENT_AUTHOR_WORDS and not ends_sentence(lines[above].text)):
            article.mark(above, "comment_thread", "comment_prompt")
        if reply is not None:
            for k in range(i + 1, reply + 1):
                article.mark(k, "comment_thread", "comment_prompt")
