"""Other stories listed under a module's heading (`related_list`, a context rule: it runs in
`context.CONTEXT_RULES`).

A repost often ends with its source page's modules: "Related", "You may also like", "More from
Example News", "Previous article", "Tags:", each over a few other stories' headlines or topics.
The rules take the heading; each headline under it is shaped like an article's subheading, and
only the heading says what it is (a repost kept every headline under "Related"). The lines under
a heading go when:
- a rule took the heading, which starts with a capital ('most popular' labels a table's column);
- it stands after the article's last paragraph, or inside the article right under a paragraph (a
  page's menus above its headline hold such headings too, and the headline stands under them),
  and is not one an article may give its own section there ('Don't miss', 'Editor's picks');
- each is shaped like a headline (2-20 words) or a tag (1-5), with no full stop, colon or comma
  at its end; lines a line rule takes or would take elsewhere on the page (a date, a teaser's
  byline, whose author may be the article's) are passed over and left to that rule, and the next
  module's heading ends the list;
- and there are at most 12: a longer run is more often the article's own table or list.
Where a line of another shape ends the run, the run's last line stays: the article may go on
below, and that line be its next section's subheading. Only "Previous article" and "Next
article" head a single story. After the article some headings stay ambiguous: a ranking of 12
songs under 'Most popular' or books under 'Further reading' at an article's end go too.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

from .sentences import ends_sentence

if TYPE_CHECKING:
    from .context import Article, Line

RULE, FAMILY = "related_list", "related_link"
HEADING_FAMILIES = {"navigation", "related_link", "ad_marker"}  # the rules' families for such headings
_OUTLET = r".{1,40}"
STORIES = re.compile(
    r"related(?: (?:posts?|articles?|stories|news|content|reading|links|coverage|videos))?"
    r"|(?:you|we think you) (?:may|might|will|would|could) (?:also )?(?:like|enjoy|love|be interested in)(?: these)?"
    r"|(?:stories|articles|posts) you (?:may|might) (?:also )?(?:like|enjoy|have missed)"
    r"|(?:more|other|latest|top|recent|popular|trending|recommended|similar|featured|suggested)"
    rf" (?:posts|articles|stories|news|reads|headlines|videos)(?: (?:from|on|in|about) {_OUTLET})?"
    rf"|more (?:from|on|in|about) {_OUTLET}|also on {_OUTLET}"
    r"|most (?:read|popular|viewed|shared|commented|recent)(?: (?:stories|articles|posts|news|today|this week|now))?"
    r"|recommended(?: for you| reading)?|trending(?: now| today)?|(?:read|watch|what to read) next|up next"
    r"|(?:editor|editors)['’]?s?['’]? (?:picks?|choice)|don['’]?t miss(?: this| these)?"
    r"|further reading|see also|also read|read also|in other news|explore further|\d{1,3} related"
    r"|around the web|from (?:the|our) (?:web|partners)|(?:sponsored|promoted) (?:stories|content|links)",
    re.IGNORECASE)
# Headings an article may give its own sections ('Don't miss' over a guide's sights, 'Editor's
# picks' over a review's products, 'Topics' over a summit's agenda): inside the article they head
# nothing this rule takes; after its last paragraph they still do.
SECTION_TOO = re.compile(
    r"trending(?: now| today)?|don['’]?t miss(?: this| these)?|(?:editor|editors)['’]?s?['’]? (?:picks?|choice)"
    r"|most (?:read|popular|viewed|shared|commented|recent)|top (?:stories|news|headlines)|up next|in other news"
    rf"|also on {_OUTLET}|recommended(?: reading)?|further reading|topics", re.IGNORECASE)
ONE_STORY = re.compile(r"(?:previous|prev|next)(?: (?:article|post|story))", re.IGNORECASE)
TAGS = re.compile(r"tags|tagged(?: with)?|topics|related topics|filed under|categor(?:y|ies)|posted in|more on",
                  re.IGNORECASE)
HEADING_EDGES = " \t:»›→←«‹|•-–—"
STORY_WORDS, TAG_WORDS = (2, 20), (1, 5)
NOT_A_HEADLINE_END = (".", ":", ";", ",")
# A module lists a few stories; a longer run under such a heading is more often the article's own
# table or list (a ranking under 'Most popular'), which the body model judges instead.
MAX_ENTRIES = 12
PARAGRAPH_WORDS = 10  # as context.BODY_MIN_WORDS
WINDOW = 60  # lines read under a heading, the rules' removals among them: linear on any page


def _heading(line: Line) -> tuple[tuple[int, int], bool] | None:
    """(the words an entry may have, whether only one entry follows), for a module's heading."""
    if line.rule is None or line.family not in HEADING_FAMILIES:
        return None
    text = line.text.strip(HEADING_EDGES)
    if not text[:1].isupper():
        return None  # 'most popular' in lower case labels a table's column, not a module
    if STORIES.fullmatch(text):
        return STORY_WORDS, False
    if ONE_STORY.fullmatch(text):
        return STORY_WORDS, True
    if TAGS.fullmatch(text):
        return TAG_WORDS, False
    return None


def _entry(line: Line, words: tuple[int, int]) -> bool:
    text = line.text.rstrip()
    truncated = text.endswith(("...", "…"))
    return words[0] <= line.words <= words[1] and (truncated or not text.endswith(NOT_A_HEADLINE_END))


def _paragraph(line: Line) -> bool:
    return line.words >= PARAGRAPH_WORDS and ends_sentence(line.text)


def related_list(article: Article) -> None:
    """The headlines or topics standing under each module's heading (see the module's docstring)."""
    if RULE in article.disabled or FAMILY in article.disabled:
        return
    lines = article.lines
    # the nearest line standing above line i, kept as i advances (a page of many headings stays linear)
    above = next((j for j in range(article.head_end - 1, -1, -1) if lines[j].rule is None), None)
    for i in range(article.head_end, len(lines)):
        if i > article.head_end and lines[i - 1].rule is None:
            above = i - 1
        found = _heading(lines[i])
        if found is None:
            continue
        if i < article.tail_start and (SECTION_TOO.fullmatch(lines[i].text.strip(HEADING_EDGES))
                                       or above is None or not _paragraph(lines[above])):
            continue  # inside the article, only under a paragraph, and not a heading sections use too
        words, one_story = found
        run: list[int] = []
        ended = i + 1 + WINDOW >= len(lines)  # the page, or the next module's heading
        for j in range(i + 1, min(len(lines), i + 1 + WINDOW)):
            if _heading(lines[j]) is not None:
                ended = True
                break
            if lines[j].rule is not None or lines[j].pattern is not None:
                continue  # a date line, a byline or a credit between the entries: a line rule's own
            if not _entry(lines[j], words) or (one_story and run):
                ended = False
                break
            run.append(j)
            if len(run) > MAX_ENTRIES:
                break
        if len(run) > MAX_ENTRIES:
            continue
        if not ended and not one_story:
            run = run[:-1]  # the line above a paragraph may be its subheading, or the headline
        for j in run:
            article.mark(j, RULE, FAMILY)
