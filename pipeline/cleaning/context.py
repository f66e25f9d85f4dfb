"""Rules that need the whole article: the title and its repeats, captions, pull quotes, signatures,
reader comments (`comments.py`), login forms (`forms.py`).

Each rule reads the `Article` (lines, what pattern rules decided, where the body starts and ends)
and marks lines with its own name. They run in the order of CONTEXT_RULES.
"""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from functools import cached_property

from ..metadata.title import MAX_SUFFIX_WORDS, loose, strip_breadcrumb, strip_site_suffix
from ..options import RuleOptions
from .comments import comment_thread
from .forms import login_form
from .modules import related_list
from .repair import continues_paragraph
from .sentences import CLOSERS, ends_sentence


QUOTE_MARKS = re.compile(r"[\"“”„«»]")
# Captions describe a picture in the present tense; reporting verbs, auxiliaries of past and
# future and personal pronouns mark a sentence of the story instead.
NOT_CAPTION = re.compile(
    r"\b(?:[Ss]aid|[Ss]ays|told|tells|according|asked|added|noted|stated|announced|reported|"
    r"[Ww]as|[Ww]ere|[Hh]ad|[Hh]as|[Hh]ave|[Ww]ill|[Ww]ould|[Cc]ould|[Ss]hould|[Mm]ight|[Mm]ust|"
    r"[Cc]an|[Dd]id|[Dd]oes|[Dd]o|I|[Ww]e|[Yy]ou|[Oo]ur|[Mm]y|[Yy]our|us|me|[Tt]his|[Tt]hat|"
    r"[Tt]hese|[Tt]hose|[Ii]t|[Ii]ts|[Tt]here|[Ii]s|[Aa]re|[Bb]een|[Bb]eing)\b")
UPPER_SIGNATURE = re.compile(r"^[^a-z.!?]*[A-Z][^a-z.!?]*$")
HOME_PREFIX = re.compile(r"^(?:home|inicio|accueil)\b", re.IGNORECASE)
BODY_MIN_WORDS = 10  # a line this long, ending a sentence, that no rule took, is article body
PULL_QUOTE_MAX_WORDS = 60  # a pull quote is a sentence or two
PULL_QUOTE_EXTRA_WORDS = 1  # the paragraph it was lifted from says more ("..., he said")
TITLE_MAX_WORDS = 40
TITLE_MAX_CHARS = 400
PULL_QUOTE_MAX_WORK = 50_000_000  # characters scanned: 100 candidates in a 500 kB article
# Where a sentence or a clause of prose starts and ends: a pull quote is lifted whole from its
# paragraph. A headline in a breadcrumb trail ('Blog > Headline') or a page title ('Headline |
# Site'), a subheading opening a sentence ('Booking a class' in 'Finding and booking a class is
# easy.') or a list entry ('2. Surfshark - Best VPN') stands between other marks.
CLAUSE_OPENS_AFTER = ":;,“\"‘'(«„‹¿¡—–"  # and a sentence's end, not a list number's ('2.')
CLAUSE_ENDS_BEFORE = ".!?…,;:”\"’')»“›—–-"
SENTENCE_ENDS = ".!?…"
LIST_NUMBER = re.compile(r"\d{1,3}\.")
LOOK_BACK = 24  # characters before a repeat read for what opens it: closing marks, a list number
LABEL_CHARS = 80  # a site's name after a title ('Headline – Site'), a section's before ('Travel: ')
MATCHES_READ = 8  # repeats of a line read in one paragraph; a pull quote's source holds it once
# a list's entry, as references and footnotes mark it too: '[1] Doe J ...', '(2) ESA'
LIST_ITEM = re.compile(r"^(?:[-–—•*·▪►]|[(\[]?\d{1,3}[.)\]]|[a-z][.)])\s", re.IGNORECASE)
# A word ending in -ed ('gathered', 'announced', also 'need', 'red') in lower case: mostly the
# past tense, which narrates; captions describe in the present. Erring to keep the line.
PAST_TENSE = re.compile(r"\b[a-z]{2,}ed\b")
# Where scrapers leave an image's caption: under an image credit, or where a related-link box
# and its picture were cut out. Ad labels and share bars stand between ordinary paragraphs.
CHROME_NEIGHBOURS = {"related_link", "image_caption"}
UNDER_HEADLINE = {"byline", "dateline", "breadcrumb", "image_caption", "duplicate_title"}


@dataclass
class Line:
    number: int  # 1-based line number in the input text
    text: str
    words: int
    rule: str | None = None  # name of the rule that removes it
    family: str | None = None
    pattern: object = None  # the line rule whose pattern takes the whole line (a LineRule), if any
    parts: tuple[tuple[int, str], ...] = ()  # (number, text) of the input lines joined into it

    @cached_property
    def loose(self) -> str:
        """The text folded for comparing repeats (computed once, whatever the passes)."""
        return loose(self.text)


@dataclass
class Article:
    lines: list[Line]
    head_end: int  # index of the first body-like line (lines before it are the head)
    tail_start: int  # index after the last body-like line (lines from it on are the tail)
    options: RuleOptions
    given_title: str | None = None
    title: str | None = None
    disabled: frozenset[str] = field(default_factory=frozenset)

    def at_edge(self, index: int) -> bool:
        return index < self.head_end or index >= self.tail_start

    def mark(self, index: int, rule: str, family: str) -> None:
        line = self.lines[index]
        if line.rule is None and rule not in self.disabled and family not in self.disabled:
            line.rule, line.family = rule, family

    def kept(self) -> list[int]:
        return [i for i, line in enumerate(self.lines) if line.rule is None]


def breadcrumb_ending_in_title(article: Article) -> None:
    """'Home World <headline>' followed by '<headline>': the first is a breadcrumb."""
    head = [i for i in range(min(len(article.lines), max(article.head_end, 1) + 3))]
    for i in head:
        line = article.lines[i]
        if line.rule or not HOME_PREFIX.match(line.text):
            continue
        rest = line.loose
        for j in head:
            other = article.lines[j].loose
            if j != i and len(other) > 10 and rest.endswith(other) and rest != other:
                article.mark(i, "breadcrumb_title", "breadcrumb")
                break


def follows_headline(lines: list[Line], index: int) -> bool:
    """What stands under a headline: its repeat, a byline, a date line, a breadcrumb, a picture
    credit. Other chrome on the way (an ad marker, hashtags) is passed over: it follows
    paragraphs as often as headlines."""
    for following in lines[index + 1:]:
        family = following.family or (following.pattern.family if following.pattern else None)
        if following.loose == lines[index].loose or family in UNDER_HEADLINE:
            return True
        if following.rule is None or following.pattern is None or following.pattern.where != "any":
            return False
    return False


def could_be_title(line: Line, next_is_chrome: bool) -> bool:
    """Headlines are short and rarely end a sentence. A line shaped like a paragraph (long
    enough, ending in . ! ?) is the lead paragraph, unless chrome (a byline, a date line, its
    own repeat) follows it as it follows a headline: then it is a headline written as a sentence."""
    if line.words > TITLE_MAX_WORDS or len(line.text) > TITLE_MAX_CHARS:
        return False
    if line.words >= BODY_MIN_WORDS and ends_sentence(line.text):
        return next_is_chrome
    return True


def _is_section_label(line: Line, following: Line | None) -> bool:
    """'World', 'POLITICS' above a headline: one or two words, then a real headline."""
    return (line.words <= 2 and not ends_sentence(line.text) and following is not None
            and following.words >= 5 and could_be_title(following, True) and not ends_sentence(following.text))


def title_line(article: Article) -> None:
    """The headline: the input's title field if it has one, else the first line still standing
    in the head (after a section label, if one stands above it), else the first line of all
    when it is shaped like a headline."""
    if article.given_title:
        article.title = article.given_title
        return
    standing = [i for i in range(min(len(article.lines), article.head_end)) if article.lines[i].rule is None]
    if not standing:  # nothing but chrome above the body: the body's first line may be it
        standing = [i for i, line in enumerate(article.lines) if line.rule is None][:1]
    if not standing:
        return
    first = standing[0]
    if len(standing) > 1 and _is_section_label(
            article.lines[first], article.lines[standing[1]]):
        article.mark(first, "section_label", "navigation")
        first = standing[1]
    line = article.lines[first]
    if could_be_title(line, follows_headline(article.lines, first)):
        article.title = strip_breadcrumb(line.text)
        article.mark(first, "title", "title")


def repeated_title(article: Article) -> None:
    """Lines that repeat the headline (any quote style, with or without a section suffix)."""
    if not article.title:
        return
    forms = {loose(article.title), loose(strip_site_suffix(article.title))} - {""}
    for i, line in enumerate(article.lines):
        if line.rule is not None or line.words > TITLE_MAX_WORDS + MAX_SUFFIX_WORDS:
            continue
        # Stripping a breadcrumb leaves an end of the line, stripping a suffix a start of it, so
        # the folded line must end or start with a form before either is worth computing.
        folded = line.loose
        if folded in forms or (
                any(folded.endswith(form) for form in forms) and loose(strip_breadcrumb(line.text)) in forms) or (
                any(folded.startswith(form) for form in forms) and loose(strip_site_suffix(line.text)) in forms):
            article.mark(i, "duplicate_title", "duplicate_title")


def caption_repeated_in_credit(article: Article) -> None:
    """A line whose text an image credit line right after it repeats ('Image Source : AP <it>')."""
    lines = article.lines
    for i in range(len(lines) - 1):
        line, credit = lines[i], lines[i + 1]
        if line.rule is None and credit.family == "image_caption" and line.words <= 40:
            if len(line.loose) > 8 and credit.loose.endswith(line.loose):
                article.mark(i, "caption_repeated", "image_caption")


def caption_beside_chrome(article: Article) -> None:
    """A short present-tense description right after inserted chrome in the body: a caption."""
    lines, limit = article.lines, article.options.caption_max_words
    for i in range(1, len(lines)):
        line, before = lines[i], lines[i - 1]
        if (line.rule is None and before.family in CHROME_NEIGHBOURS and before.rule != "title"
                and 3 <= line.words <= limit and ends_sentence(line.text)
                and not QUOTE_MARKS.search(line.text) and not NOT_CAPTION.search(line.text)
                and line.text.count(". ") == 0 and line.text[:1].isupper()
                and not PAST_TENSE.search(line.text)):
            article.mark(i, "caption_beside_chrome", "image_caption")


def _paragraphs(article: Article, kept: list[int]) -> tuple[list[tuple[int, str]], dict[int, int], list[list[int]]]:
    """The kept lines grouped into paragraphs as the repair step will join them:
    ([(words, loose text padded with spaces)], line index -> paragraph index, each paragraph's
    line indexes)."""
    groups: list[list[int]] = []
    for i in kept:
        text = article.lines[i].text
        if groups and continues_paragraph(article.lines[groups[-1][-1]].text, text):
            groups[-1].append(i)
        else:
            groups.append([i])
    paragraphs, paragraph_of = [], {}
    for number, group in enumerate(groups):
        words = sum(article.lines[i].words for i in group)
        folded = " ".join(article.lines[i].loose for i in group if article.lines[i].loose)
        paragraphs.append((words, f" {folded} "))
        paragraph_of.update((i, number) for i in group)
    return paragraphs, paragraph_of, groups


def _lifted(article: Article, group: list[int], folded: str) -> bool:
    """The paragraph holds the line's words (`folded`: its loose form) as a sentence or a clause of
    its own, as a pull quote is lifted from its paragraph: what stands before them opens a clause
    and what follows ends one, and neither is a site's or a section's name around a title. Read
    case-folded, as `loose` reads; a bounded stretch around each of the first few repeats."""
    text = " ".join(article.lines[i].text for i in group).casefold()
    words = r"[\W_]+".join(map(re.escape, folded.split()))
    repeats = re.finditer(rf"(?<![^\W_]){words}(?![^\W_])", text)
    for found in itertools.islice(repeats, MATCHES_READ):
        start, end = found.span()
        before = text[max(0, start - LOOK_BACK):start].rstrip()
        after = text[end:end + LABEL_CHARS + 1].lstrip()
        opens = not text[:start].strip() or before[-1:] in tuple(CLAUSE_OPENS_AFTER) or (
            before.rstrip(CLOSERS)[-1:] in tuple(SENTENCE_ENDS)
            and not LIST_NUMBER.fullmatch(before.rstrip(CLOSERS).split()[-1]))
        ends = not after or after[0] in CLAUSE_ENDS_BEFORE
        labelled = (start <= LABEL_CHARS and before[-1:] in tuple(":—–-|")
                    and len(text[:start].split()) <= MAX_SUFFIX_WORDS) or (
            after[:1] in tuple(":—–-|") and len(text) - end <= LABEL_CHARS
            and len(after[1:].split()) <= MAX_SUFFIX_WORDS)
        if opens and ends and not labelled:
            return True
    return False


def _stands_twice(text: str, padded: str) -> bool:
    """`text` (a line's loose form, space-padded) is found at two places of `padded` (the kept
    lines' loose forms joined by spaces, padded). A pull quote passes: it stands in itself and in
    the paragraph it was lifted from, which are two places (overlapping matches found too)."""
    first = padded.find(text)
    return first >= 0 and padded.find(text, first + 1) >= 0


def pull_quote(article: Article) -> None:
    """A short line whose words stand again, as a sentence or a clause of their own (`_lifted`),
    inside a longer paragraph of the same article.

    A list item is never a pull quote (lists repeat phrases), and the paragraph it was lifted
    from must say more. Paragraphs are compared as the repair step will join them, so that
    cleaning the output again finds nothing new. One substring count per candidate over the
    paragraphs long enough to hold it: candidates x article length, bounded below; `_lifted`
    reads only where a candidate passed it, a bounded stretch around a few repeats.
    """
    minimum = article.options.pull_quote_min_words
    kept = article.kept()
    candidates = [i for i in kept if i > article.head_end  # set in the body, never above it
                  and minimum <= article.lines[i].words <= PULL_QUOTE_MAX_WORDS
                  and not LIST_ITEM.match(article.lines[i].text)]
    if candidates:
        # Cheap necessary condition first: the candidate stands twice in the kept text (every
        # paragraph's loose form is a stretch of it). Most lines fail it.
        padded = f" {' '.join(filter(None, (article.lines[i].loose for i in kept)))} "
        candidates = [i for i in candidates if _stands_twice(f" {article.lines[i].loose} ", padded)]
    if not candidates:
        return
    paragraphs, paragraph_of, groups = _paragraphs(article, kept)
    if sum(len(text) for _, text in paragraphs) * len(candidates) > PULL_QUOTE_MAX_WORK:
        return  # far beyond any news article: leave its pull quotes rather than stall the run
    joined_from: dict[int, str] = {}  # word threshold -> the paragraphs with at least that many
    for i in candidates:
        threshold = article.lines[i].words + PULL_QUOTE_EXTRA_WORDS
        if threshold not in joined_from:
            joined_from[threshold] = "\n".join(t for w, t in paragraphs if w >= threshold)
        text = f" {article.lines[i].loose} "
        if len(text) <= 2:
            continue
        own_words, own = paragraphs[paragraph_of[i]]
        in_own = own.count(text) if own_words >= threshold else 0
        if joined_from[threshold].count(text) > in_own and any(
                number != paragraph_of[i] and words >= threshold and text in paragraph
                and _lifted(article, groups[number], text.strip())
                for number, (words, paragraph) in enumerate(paragraphs)):
            article.mark(i, "pull_quote", "pull_quote")


def desk_signature(article: Article) -> None:
    """Short all-capital lines after the last paragraph ('INTERNATIONAL WRITING', 'TIME'), but
    not an entry of a list ('- HVAC' between '- Electrical' and '- Plumbing'), the heading over
    one ('REFERENCES' above '1. Xie Y, ...'), or capitals under a line ending with a colon
    ('Companies named in the suit:', 'NVIDIA', 'AMD'): a signature closes the article. One pass
    each way, so a page of thousands of such lines stays linear."""
    lines = article.lines
    next_standing: list[Line | None] = [None] * len(lines)
    following = None
    for i in range(len(lines) - 1, -1, -1):
        next_standing[i] = following
        if lines[i].rule is None:
            following = lines[i]
    colon_above = False  # the line above the current run of standing capitals ends with a colon
    for i, line in enumerate(lines):
        if not (line.rule is None and _signature_shaped(line)):
            colon_above = line.rule is None and line.text.rstrip().endswith(":")
            continue
        if i < article.tail_start or colon_above or _in_a_list(lines, i, next_standing[i]):
            continue
        article.mark(i, "desk_signature", "credit")
        colon_above = False  # a line taken ends the run, as any line a rule took


def _in_a_list(lines: list[Line], i: int, after: Line | None) -> bool:
    """The next line standing (`after`) is a list's entry, or line i is one beside another (a
    dash opens a sign-off too: '— JS')."""
    if after is not None and LIST_ITEM.match(after.text):
        return True
    return bool(LIST_ITEM.match(lines[i].text)) and not lines[i].text.startswith(("—", "–")) and any(
        LIST_ITEM.match(lines[j].text) for j in (i - 1, i + 1) if 0 <= j < len(lines))


def _signature_shaped(line: Line) -> bool:
    return line.words <= 4 and bool(UPPER_SIGNATURE.match(line.text))


# Under an author box's heading: the author's name ('Jane Doe', 'Audrey Huang, Print Managing
# Editor') and a biography in the third person ('Jane Doe is a reporter covering ...').
AUTHOR_NAME_WORDS = 8
AUTHOR_BIO = re.compile(r"(?:Dr\.?\s+)?(?:[A-Z][\w.'’()-]*,?\s+){1,5}(?:[A-Z]{2,5},\s+)?(?:is|was|has|writes|covers|joined|leads|lives|holds|serves)\b")
AUTHOR_BIO_WORDS = 80
AUTHOR_BOX_LINES = 2


def author_box(article: Article) -> None:
    """The lines under an 'About the author' heading (`author_heading`): up to two, each the
    author's name (a short line that ends no sentence) or a biography that opens with a name and
    'is', 'has', 'writes', ... A line of any other shape ends the box and stays."""
    lines = article.lines
    for i, line in enumerate(lines):
        if line.rule != "author_heading":
            continue
        for j in range(i + 1, min(len(lines), i + 1 + AUTHOR_BOX_LINES)):
            under = lines[j]
            if under.rule is not None:
                break
            name = under.words <= AUTHOR_NAME_WORDS and not ends_sentence(under.text)
            bio = under.words <= AUTHOR_BIO_WORDS and AUTHOR_BIO.match(under.text.strip()) is not None
            if not (name or bio):
                break
            article.mark(j, "author_box", "byline")


# In order: each rule sees what the ones before it marked.
CONTEXT_RULES = (
    breadcrumb_ending_in_title,
    title_line,
    repeated_title,
    caption_repeated_in_credit,
    caption_beside_chrome,
    pull_quote,
    desk_signature,
    author_box,
    comment_thread,
    login_form,
    related_list,
)
CONTEXT_RULE_NAMES = ("breadcrumb_title", "title", "duplicate_title", "caption_repeated",
                      "caption_beside_chrome", "pull_quote", "desk_signature", "author_box", "comment_thread",
                      "login_form", "related_list")
