"""What any page shows about a line: its own shape and the shape of the lines around it.

The features are shallow on purpose (boilerpipe's shallow text features, jusText's context
smoothing): word counts, the share of function words, sentence marks, capitals, digits and
separators, repeats inside the page, position, and the same measures over the neighbouring
lines. They hold nothing of the seeds' or any site's phrasings, so they carry to pages no rule
has seen. `stacked_features` (`page_features` for one page) is the one definition used by training
and by cleaning.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from functools import lru_cache
from importlib import resources

import numpy as np

from ..context import Line
from ..repair import fix_stray_punctuation
from . import lexicon as lexical
from .stacked import Stack, nearest_flagged, neighbours, side_means, window_means
from .url_slug import URL_MATCH, below_best

SENTENCE_END = (".", "!", "?", "…", ".\"", ".”", "?\"", "?”", "!\"", "!”", ".'", ".’", ".)")
SEPARATORS = "|»›•·/>–—"
LIST_MARKS = ("-", "–", "—", "•", "*", "·", "▪", "►", "✓", "✔")
LONG_WORDS = 10  # a line this long ending a sentence is paragraph-shaped
WINDOWS = (2, 5, 12)  # lines each side for the context shares
VOCABULARY_WINDOW = 2  # lines each side for the neighbours' vocabulary share
OFFSETS = (-3, -2, -1, 1, 2, 3)  # neighbours whose own shape is a feature
SIDE_NAMES = ("paragraphs", "log_words")  # their means over lexical.SIDES lines before and after

BASE = ("log_words", "log_chars", "ends_sentence", "ends_colon", "function_share",
        "capital_share", "digit_share", "letter_share", "separators", "sentences",
        "mean_word_chars", "list_mark", "all_caps", "quotes", "starts_lower", "comma_share",
        "log_repeats", "paragraph_shaped", "no_letters")
NEIGHBOUR = ("log_words", "ends_sentence", "function_share", "capital_share", "paragraph_shaped")


@lru_cache(maxsize=1)
def function_words() -> frozenset[str]:
    text = resources.files(__package__).joinpath("function_words.txt").read_text(encoding="utf-8")
    return frozenset(word for line in text.splitlines() if line and not line.startswith("#")
                     for word in line.split()[1:])


def feature_names() -> list[str]:
    names = list(BASE)
    names += [f"{name}@{offset:+d}" for offset in OFFSETS for name in NEIGHBOUR]
    for window in WINDOWS:
        names += [f"paragraphs±{window}", f"log_words±{window}", f"function_share±{window}"]
    names += ["log_lines_to_paragraph_before", "log_lines_to_paragraph_after", "relative_position",
              "log_index", "log_index_from_end", "in_main_run", "log_lines_to_main_run",
              "paragraphs_before_share", "paragraphs_after_share", "page_paragraph_share",
              "log_page_lines", "words_share_of_page", "vocabulary_share", "vocabulary_share±2"]
    names += [f"{name}{side}{reach}" for reach in lexical.SIDES for side in "<>" for name in SIDE_NAMES]
    return names + list(lexical.NAMES)


FEATURES = len(feature_names())
# The columns from SHAPE_FEATURES on are set by `lexical_features`: the lexicon's, and the means
# before and after each line, of its shape and its words' weights in one pass (they are the
# last shape columns and the lexicon's side columns; training sets them per fold's lexicon).
SIDE_FEATURES = 2 * len(lexical.SIDES) * len(SIDE_NAMES)
SHAPE_FEATURES = FEATURES - len(lexical.NAMES) - SIDE_FEATURES
LINE_STATS_COLUMN = feature_names().index(lexical.LINE_STATS[0])
VOCABULARY_COLUMN = feature_names().index("vocabulary_share")
NOT_LETTER = re.compile(r"[\W\d_]+")
NOT_DIGIT = re.compile(r"\D+")
STRIPPED = ".,;:!?\"'“”‘’()[]«»"


@lru_cache(maxsize=32_768)
def _line_shape(text: str) -> tuple[float, ...]:
    """BASE, with 0 for log_repeats (a page's, not a line's, measure), of the line as the repair
    step will print it (a space before a mark dropped): cleaning the output again then judges the
    same shapes. Remembered per process: a site's chrome recurs on all its pages, and the value
    depends on the text alone."""
    text = fix_stray_punctuation(text)
    words = text.split()
    n = len(words) or 1
    chars = len(text) or 1
    letters = len(NOT_LETTER.sub("", text))
    digits = len(NOT_DIGIT.sub("", text))
    words_of = function_words()
    function = sum(w.strip(STRIPPED).lower() in words_of for w in words)
    capitals = sum(w[:1].isupper() for w in words)
    stripped = text.rstrip()
    ends = stripped.endswith(SENTENCE_END)
    shaped = len(words) >= LONG_WORDS and ends
    return (
        math.log1p(len(words)), math.log1p(chars), float(ends), float(stripped.endswith(":")),
        function / n, capitals / n, digits / chars, letters / chars,
        float(sum(text.count(s) for s in SEPARATORS)),
        float(text.count(". ") + text.count("? ") + text.count("! ")),
        letters / n, float(text.lstrip().startswith(LIST_MARKS) or text[:3].rstrip(".)").isdigit()),
        float(letters > 1 and text.upper() == text), float(text.count('"') + text.count("“") + text.count("”")),
        float(text[:1].islower()), text.count(",") / n, 0.0, float(shaped), float(letters == 0),
    )


REPEATS_COLUMN = BASE.index("log_repeats")
NEIGHBOUR_COLUMNS = [BASE.index(name) for name in NEIGHBOUR]
SIDE_COLUMNS = [BASE.index(name) for name in ("paragraph_shaped", "log_words")]
WINDOWED_COLUMNS = [BASE.index(name) for name in ("paragraph_shaped", "log_words", "function_share")]


def _main_run(score: list[float]) -> tuple[int, int]:
    """The stretch of lines with the highest total score (Kadane): where the article stands."""
    best, best_span, total, start = 0.0, (0, 0), 0.0, 0
    for i, value in enumerate(score):
        if total <= 0:
            total, start = 0.0, i
        total += value
        if total > best:
            best, best_span = total, (start, i + 1)
    return best_span


def page_features(texts: list[str], folded: list[str], lexicon: lexical.Lexicon) -> np.ndarray:
    """One row of `feature_names()` per line of the page. The page is the lines still standing:
    what the rules removed is not context, so that judging the model's own output again finds
    what it found before (cleaning is idempotent)."""
    return stacked_features([(texts, folded)], lexicon)[0]


def stacked_features(pages: list[tuple[list[str], list[str]]], lexicon: lexical.Lexicon) -> tuple[np.ndarray, Stack]:
    """`page_features` of each (texts, folded) page, computed for all at once (`stacked`): the
    pages' rows one after another, each page's the same as alone, and where each page's are."""
    stack = Stack.of([len(texts) for texts, _ in pages])
    texts = [text for page, _ in pages for text in page]
    rows = shape_features(texts, [key for _, page in pages for key in page], stack)
    rows[:, SHAPE_FEATURES:] = lexical_features(texts, lexicon, rows, stack)
    return rows, stack


LEXICAL_SIDE_COLUMNS = [lexical.LINE_STATS.index(name) for name in lexical.SIDE_STATS]
# `_sides` of (shape's SIDE_COLUMNS, the lexicon's SIDE_STATS) gives, for each reach and side,
# those 2 + 3 columns: the shape's half and the lexicon's half go to their own places.
_SIDED = len(SIDE_NAMES) + len(lexical.SIDE_STATS)
SHAPE_SIDES = [k for k in range(2 * len(lexical.SIDES) * _SIDED) if k % _SIDED < len(SIDE_NAMES)]
LEXICAL_SIDES = [k for k in range(2 * len(lexical.SIDES) * _SIDED) if k % _SIDED >= len(SIDE_NAMES)]


def lexical_features(texts: list[str], lexicon: lexical.Lexicon, rows: np.ndarray,
                     stack: Stack | None = None) -> np.ndarray:
    """The columns from SHAPE_FEATURES on, for each line of `rows` (its shape features): the
    means before and after it, the tokens' weights (`lexical.NAMES`) and their means around.
    `stack`: where each page's lines are (`stacked.Stack`); by default the lines are one page."""
    n = len(texts)
    stack = Stack.of([n]) if stack is None else stack
    stats = lexicon.line_rows(texts)
    out = np.empty((n, FEATURES - SHAPE_FEATURES))
    sided = np.empty((n, _SIDED))
    sided[:, :len(SIDE_NAMES)] = rows[:, SIDE_COLUMNS]
    sided[:, len(SIDE_NAMES):] = stats[:, LEXICAL_SIDE_COLUMNS]
    sides = side_means(sided, lexical.SIDES, stack)
    out[:, :SIDE_FEATURES] = sides[:, SHAPE_SIDES]
    column = SIDE_FEATURES + len(lexical.LINE_STATS)
    out[:, SIDE_FEATURES:column] = stats
    out[:, column:column + len(lexical.CONTEXT)] = window_means(stats[:, :1], lexical.CONTEXT, stack)[:, :, 0].T
    column += len(lexical.CONTEXT)
    score = stats[:, lexical.TOKEN_SCORE:lexical.TOKEN_SCORE + 1]
    out[:, column:column + len(lexical.TOKEN_CONTEXT)] = window_means(score, lexical.TOKEN_CONTEXT, stack)[:, :, 0].T
    column += len(lexical.TOKEN_CONTEXT)
    out[:, column:column + len(LEXICAL_SIDES)] = sides[:, LEXICAL_SIDES]
    chrome = (stats[:, 0] < lexical.NEGATIVE).astype(float)  # lines whose words are chrome's
    seen = stack.before_in_page(chrome)
    out[:, -2] = seen / stack.page_length
    out[:, -1] = (stack.page_totals(chrome) - seen - chrome) / stack.page_length
    return out


def shape_features(texts: list[str], folded: list[str], stack: Stack | None = None) -> np.ndarray:
    """`page_features` without the columns `lexical_features` sets (NaN): the lines' form, not
    their words. Training keeps these and adds each fold's lexicon apart. `stack`: where each
    page's lines are (`stacked.Stack`); by default the lines are one page."""
    n = len(texts)
    stack = Stack.of([n]) if stack is None else stack
    out = np.empty((n, FEATURES))
    out[:, SHAPE_FEATURES:] = np.nan  # loud if those columns are used before they are set
    if n == 0:
        return out
    bounds = list(zip(stack.starts[:-1].tolist(), stack.starts[1:].tolist()))
    base = out[:, :len(BASE)]
    base[:] = [_line_shape(t) for t in texts]
    repeats = []
    for a, b in bounds:  # how often each line's key recurs in its page
        counts = Counter(folded[a:b])
        repeats += [math.log(counts[key]) for key in folded[a:b]]
    base[:, REPEATS_COLUMN] = repeats
    column = len(BASE)
    width = len(OFFSETS) * len(NEIGHBOUR)  # each neighbour `offset` lines away, offset by offset
    out[:, column:column + width] = neighbours(base[:, NEIGHBOUR_COLUMNS], OFFSETS, stack).reshape(n, width)
    column += width
    paragraph = base[:, BASE.index("paragraph_shaped")]
    flags = paragraph.tolist()
    share = np.array([value for a, b in bounds for value in _vocabulary_share(texts[a:b], flags[a:b])])
    windowed = np.empty((n, len(WINDOWED_COLUMNS) + 1))
    windowed[:, :-1] = base[:, WINDOWED_COLUMNS]
    np.maximum(share, 0.0, out=windowed[:, -1])
    means = window_means(windowed, WINDOWS, stack)
    width = len(WINDOWS) * len(WINDOWED_COLUMNS)  # window by window
    out[:, column:column + width] = means[:, :, :-1].transpose(1, 0, 2).reshape(n, width)
    column += width
    share_around = means[WINDOWS.index(VOCABULARY_WINDOW), :, -1]
    positions, lines = stack.index, stack.page_length
    to_before, to_after = nearest_flagged(paragraph, stack)
    paragraphs = stack.page_totals(paragraph)
    seen = stack.before_in_page(paragraph)
    some = np.maximum(paragraphs, 1.0)
    before_share = np.where(paragraphs > 0, seen / some, 0.0)
    after_share = np.where(paragraphs > 0, (paragraphs - seen - paragraph) / some, 0.0)
    words = np.expm1(base[:, BASE.index("log_words")])
    # paragraphs count for their words, other lines against the run: menus and lists of
    # headlines between two articles' worth of text break it.
    score = np.where(paragraph > 0, words, -np.minimum(words, 8.0) - 2.0).tolist()
    runs = np.array([_main_run(score[a:b]) for a, b in bounds], dtype=np.int64).reshape(-1, 2)[stack.page_of_row]
    run_start, run_end = runs[:, 0], runs[:, 1]
    in_run = (positions >= run_start) & (positions < run_end)
    to_run = np.where(in_run, 0, np.minimum(np.abs(positions - run_start), np.abs(positions - (run_end - 1))))
    logs = np.log1p(np.array([to_before, to_after, positions, lines - 1 - positions, to_run], dtype=float))
    block = out[:, column:SHAPE_FEATURES].T  # the page-level columns, one row each
    block[0], block[1], block[2], block[3], block[4] = logs[0], logs[1], positions / np.maximum(lines - 1, 1), logs[2], logs[3]
    block[5], block[6], block[7], block[8] = in_run, logs[4], before_share, after_share
    # page by page, as a page alone computes them (math.log1p, numpy's pairwise sum): the trees'
    # thresholds sit on the training pages' values, and a last-bit change moves lines across
    block[9], block[10] = paragraphs / lines, np.array([math.log1p(b - a) for a, b in bounds])[stack.page_of_row]
    block[11] = words / np.array([max(words[a:b].sum(), 1.0) for a, b in bounds])[stack.page_of_row]
    block[12], block[13] = share, share_around
    return out


@lru_cache(maxsize=32_768)
def _content_words(text: str) -> tuple[str, ...]:
    """The line's words that are not function words (3+ characters, case-folded)."""
    words_of = function_words()
    return tuple(w for w in (w.strip(STRIPPED).casefold() for w in text.split())
                 if len(w) > 2 and w not in words_of)


@lru_cache(maxsize=32_768)
def _content_word_set(text: str) -> frozenset[str]:
    """Remembered like `_content_words`: the synthetic and real corpora repeat paragraphs."""
    return frozenset(_content_words(text))


def _vocabulary_share(texts: list[str], paragraph: list[float]) -> list[float]:
    """The share of a line's words that the page's paragraphs use elsewhere: a table cell or a
    list item names what the article talks about, a menu entry or another story's headline does
    not. -1 for a line without such words; its neighbours' mean is a column too."""
    words = [_content_words(text) for text in texts]
    in_one: set[str] = set()  # words of at least one paragraph
    in_two: set[str] = set()  # of two or more: "elsewhere" for a paragraph's own words
    for shaped, text in zip(paragraph, texts):
        if shaped:
            line_words = _content_word_set(text)
            in_two |= in_one & line_words
            in_one |= line_words
    share = [-1.0] * len(texts)
    for i, (shaped, line_words) in enumerate(zip(paragraph, words)):
        if line_words:
            used = in_two if shaped else in_one
            share[i] = sum(map(used.__contains__, line_words)) / len(line_words)
    return share


TITLE_EXTRA = ("p", "p_next", "log_words_next", "ends_sentence_next", "log_words_before",
               "log_lines_to_body", "candidate_position", "rules_title", "exact_words",
               "vocabulary_share")
AROUND = ("log_rules_removed_after", "log_rules_removed_before", "byline_or_date_after",
          "repeat_removed_beside")
DATED = ("log_lines_to_dated_after", "log_lines_to_dated_before", "dated", "dated_within_2")
BYLINE_FAMILIES = ("byline", "dateline")
MONTHS = ("january february march april may june july august september october november december "
          "jan feb mar apr jun jul aug sep sept oct nov dec "  # en
          "januar februar märz mai juni juli oktober dezember jän mär okt dez "  # de
          "janvier février mars avril juin juillet août septembre octobre novembre décembre "
          "janv févr avr juil déc "  # fr
          "enero febrero marzo abril mayo junio julio agosto setiembre septiembre octubre "
          "noviembre diciembre ene abr ago dic "  # es
          "gennaio febbraio aprile maggio giugno luglio settembre ottobre dicembre gen mag giu "
          "lug set ott "  # it
          "janeiro fevereiro março maio junho julho setembro outubro dezembro fev out "  # pt
          "januari februari maart mei augustus mrt").split()  # nl
_MONTH = "(?:" + "|".join(sorted(set(MONTHS), key=len, reverse=True)) + ")"
# a date, a time ago, a reading time or "published/updated": what a date line under a headline shows
DATE_MARK = re.compile(
    rf"\b\d{{1,2}}(?:st|nd|rd|th|\.)?\s+(?:de\s+)?{_MONTH}\b|\b{_MONTH}\.?\s+\d{{1,4}}\b"
    r"|\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b|\b\d{4}-\d{2}-\d{2}\b"
    r"|\b\d+\s*(?:min|mins|minutes?|hours?|hrs?|days?|weeks?)\b|\b(?:ago|updated|published|posted)\b",
    re.IGNORECASE)
DATED_WORDS, DATED_CHARS = 14, 200  # a longer line that holds a date is a sentence, not a date line


def title_names() -> list[str]:
    return list(BASE) + list(TITLE_EXTRA) + list(lexical.LINE_STATS) + list(AROUND) + list(DATED) + list(URL_MATCH)


def headline_surroundings(page: list[Line], removed: list[Line]) -> np.ndarray:
    """One row of `AROUND` and `DATED` per line of `page`: what the rules removed beside each
    line, and where the short lines standing with a date are."""
    return np.hstack([rules_around(page, removed), dated_around(page)])


def dated_around(page: list[Line]) -> np.ndarray:
    """One row of `DATED` per line of `page`: the lines to the nearest short line standing with a
    date (or a time ago, a reading time, "updated") after it and before it (-1 for none), whether
    it is one, and how many stand within two lines. A headline stands right above or below its
    date line when the rules did not take it out; a menu word or a subheading seldom does."""
    dated = np.array([len(line.text) <= DATED_CHARS and len(line.text.split()) <= DATED_WORDS
                      and DATE_MARK.search(line.text) is not None
                      for line in page], dtype=bool)
    index = np.arange(len(page))
    found = np.append(np.flatnonzero(dated), np.iinfo(np.int64).max // 2)  # a sentinel: none below
    below = found[np.searchsorted(found, index, side="right")]
    above = np.insert(found[:-1], 0, -1)[np.searchsorted(found[:-1], index, side="left")]
    to_after = np.where(below < len(page), np.log1p(np.minimum(below, len(page)) - index), -1.0)
    to_before = np.where(above >= 0, np.log1p(index - np.maximum(above, 0)), -1.0)
    padded = np.concatenate([np.zeros(2), dated, np.zeros(2)])
    within = sum(padded[2 + k:2 + k + len(page)] for k in (-2, -1, 1, 2))
    return np.column_stack([to_after, to_before, dated, within]).astype(float)


def rules_around(page: list[Line], removed: list[Line]) -> np.ndarray:
    """One row of `AROUND` per line of `page` (the lines standing, by number): what the rules
    removed between it and its standing neighbours. The headline stands above the byline and
    date lines the rules take out, and beside its own repeats; a menu word does not. Counted in
    removed lines, not line numbers, so blank lines in the input change nothing."""
    numbers = np.array(sorted(line.number for line in removed), dtype=np.int64)
    byline = np.array(sorted(line.number for line in removed if line.family in BYLINE_FAMILIES), dtype=np.int64)
    repeat = np.array(sorted(line.number for line in removed if line.family == "duplicate_title"), dtype=np.int64)
    first = np.array([min((n for n, _ in line.parts), default=line.number) for line in page], dtype=np.int64)
    last = np.array([max((n for n, _ in line.parts), default=line.number) for line in page], dtype=np.int64)
    # the gap after a line ends where the next standing line starts; the last line's, at the end
    gap_end = np.append(first[1:], np.iinfo(np.int64).max)
    gap_start = np.insert(last[:-1], 0, 0) if len(page) else last

    def between(found: np.ndarray, low: np.ndarray, high: np.ndarray) -> np.ndarray:
        return np.searchsorted(found, high, side="left") - np.searchsorted(found, low, side="right")

    after, before = between(numbers, last, gap_end), between(numbers, gap_start, first)
    repeats = between(repeat, last, gap_end) + between(repeat, gap_start, first)
    return np.column_stack([np.log1p(after), np.log1p(before), between(byline, last, gap_end) > 0,
                            repeats > 0]).astype(float)


def title_candidates(rows: np.ndarray, p: np.ndarray) -> int:
    """How many lines from the top may be the headline: those above the first line that is
    confidently article text and shaped like a paragraph, and that line (a headline written as
    a sentence)."""
    shaped = rows[:, BASE.index("paragraph_shaped")] > 0
    confident = np.flatnonzero(shaped & (p >= 0.5))
    return int(confident[0]) + 1 if len(confident) else len(p)


def title_features(rows: np.ndarray, p: np.ndarray, rules_title: int | None, around: np.ndarray,
                   url_match: np.ndarray) -> np.ndarray:
    """One row of `title_names()` for each candidate line (the first `title_candidates`);
    `around` is `headline_surroundings` of the page, `url_match` the `url_slug.url_matches` of
    (at least) its candidates."""
    count = title_candidates(rows, p)
    base = rows[:count, :len(BASE)]
    words = rows[:, BASE.index("log_words")]
    ends = rows[:, BASE.index("ends_sentence")]
    index = np.arange(count)
    following = np.minimum(index + 1, len(p) - 1)
    has_next = index + 1 < len(p)
    extra = np.column_stack([
        p[:count], np.where(has_next, p[following], -1.0), np.where(has_next, words[following], -1.0),
        np.where(has_next, ends[following], -1.0), np.where(index > 0, words[np.maximum(index - 1, 0)], -1.0),
        np.log1p(count - 1 - index), index / max(count - 1, 1),
        (index == rules_title).astype(float) if rules_title is not None else np.zeros(count),
        np.expm1(words[:count]), rows[:count, VOCABULARY_COLUMN]])
    return np.column_stack([base, extra, rows[:count, LINE_STATS_COLUMN:LINE_STATS_COLUMN + len(lexical.LINE_STATS)],
                            around[:count], url_match[:count], below_best(url_match[:count])])
