"""Text repair before any rule runs: ftfy (only where it can matter) and line-preserving whitespace."""
from __future__ import annotations

import dataclasses
import re
from functools import lru_cache

import ftfy
from ftfy.fixes import unescape_html

from ..document import Document, Removal
from ..options import FixOptions

# Characters on which ftfy, configured as in FixOptions, provably changes nothing (tested with
# hypothesis in tests/test_fix.py): printable ASCII except "&" (an HTML entity may start there)
# plus the typographic punctuation and spaces of ordinary news text. In every single-byte codec
# ftfy tries, these non-ASCII characters are all UTF-8 continuation bytes (latin-1, the
# windows-125x family) or all lead bytes (MacRoman), so no run of them decodes as UTF-8; NFC
# leaves them alone and none is a control character. A line made only of them is passed
# through untouched; any other line goes to ftfy as is.
SAFE_CHARS = ("\t\n" + "".join(chr(c) for c in range(0x20, 0x7F) if chr(c) != "&")
              + "\u2018\u2019\u201c\u201d\u2013\u2014\u2026\u00a0\u00ab\u00bb")
NEEDS_FTFY = re.compile(f"[^{re.escape(SAFE_CHARS)}]")
# A line whose only unsafe character is "&" can need nothing but entity decoding: ftfy's first
# round decodes them (unescape_html comes first) and, when what is left is safe text that holds no
# further entity, every later fixer and the second round change nothing (tests/test_fix.py).
BEYOND_ENTITIES = re.compile(f"[^{re.escape(SAFE_CHARS + '&')}]")

# Invisible characters that only break words apart or glue them wrongly: removed.
INVISIBLE_CHARS = "\u200b\u2060\ufeff\u00ad"
INVISIBLE = re.compile(f"[{INVISIBLE_CHARS}]")  # the definition; normalise_spaces removes them one by one
# Control characters that separate words (vertical tab is Word's soft line break, form feed a
# page break, \x1c-\x1f field separators): a space, before ftfy, which would delete them and glue
# the words ("statement.\x0bThe" -> "statement.The"). No mojibake holds a C0 control.
C0_SEPARATORS = re.compile("[\x0b\x0c\x1c-\x1f]")
# Every kind of space a scraper leaves (NBSP, thin, ideographic ...), tabs, and any other
# character Python counts as whitespace but not as "\n" that reaches this point (ftfy makes
# U+2028/9 line breaks and \x85 an ellipsis first): one plain space, so a line holding only
# those is blank, not a headline.
ODD_SPACE_CHARS = ("\t\x0b\x0c\x1c\x1d\x1e\x1f"  # the ASCII ones first: an ASCII text can hold only these
                   "\x85\u00a0\u1680" + "".join(map(chr, range(0x2000, 0x200B))) + "\u2028\u2029\u202f\u205f\u3000")
ODD_SPACES = re.compile(f"[{ODD_SPACE_CHARS}]+")  # the definition; normalise_spaces replaces char by char
SPACE_RUNS = re.compile(r" {2,}")
MAX_REPAIR_ROUNDS = 3
REPAIRED_FIELDS = ("title", "author")  # input fields that are text, repaired like it
# Lines the repair leaves damaged: holding U+FFFD (bytes lost in decoding, or a mojibake sequence
# that lost a byte) or mojibake ftfy cannot undo. The corpus schema's no_mojibake check rejects a
# text holding either, so such a line is removed and recorded instead: it costs that line, not
# the article.
DAMAGE_FAMILY = "encoding"
LOST_BYTES_RULE = "replacement_character"
MOJIBAKE_RULE = "mojibake"
DAMAGED = "damaged_lines"  # Document.extra: FixText's removals, until the line rules have run


@lru_cache(maxsize=8)
def ftfy_config(options: FixOptions) -> ftfy.TextFixerConfig:
    return ftfy.TextFixerConfig(explain=False, **dataclasses.asdict(options))


def fix_text_fast(text: str, options: FixOptions = FixOptions()) -> str:
    """Exactly `ftfy.fix_text(text, config)`, skipping the segments that cannot need it.

    ftfy fixes independent segments (each line, cut at max_decode_length); we cut the same
    segments and hand ftfy only those holding a character outside SAFE_CHARS.
    """
    config = ftfy_config(options)
    if not _safe_chars_hold(options):
        return ftfy.fix_text(text, config)
    if not NEEDS_FTFY.search(text):
        return text
    out: list[str] = []
    pos, limit, end = 0, options.max_decode_length, len(text)
    crlf = options.fix_line_breaks
    while pos < end:
        cut = text.find("\n", pos) + 1
        if cut == 0:
            cut = end
        if cut - pos > limit:
            cut = pos + limit
        segment = text[pos:cut]
        if not NEEDS_FTFY.search(segment):
            out.append(segment)
        elif crlf and segment.endswith("\r\n") and not NEEDS_FTFY.search(segment, 0, len(segment) - 2):
            out.append(segment[:-2] + "\n")  # what ftfy makes of a safe line ending in CRLF
        else:
            out.append(_entities_only(segment, options) or ftfy.fix_text(segment, config))
        pos = cut
    return "".join(out)


def _safe_chars_hold(options: FixOptions) -> bool:
    """SAFE_CHARS are safe under this configuration: quotes kept curly, no compatibility
    normalisation (NFKC would make "…" "..." and NBSP a space). Otherwise ftfy sees everything."""
    return not options.uncurl_quotes and options.normalization in (None, "NFC")


def _entities_only(segment: str, options: FixOptions) -> str | None:
    """What ftfy makes of a segment that needs only its HTML entities decoded ("AT&amp;T's" ->
    "AT&T's"), or None when it may need more (then ftfy itself runs)."""
    if options.unescape_html is not True or BEYOND_ENTITIES.search(segment):
        return None
    decoded = unescape_html(segment)
    if BEYOND_ENTITIES.search(decoded) or unescape_html(decoded) != decoded:
        return None
    return decoded


def normalise_spaces(text: str) -> str:
    """Odd spaces to one space, invisible characters out, lines trimmed; line count unchanged.

    Each odd space becomes a space and then every run of spaces one space: the same as
    ODD_SPACES then SPACE_RUNS (tests/test_fix.py), but `in` and `replace` scan a text many
    times faster than a character class does."""
    is_ascii = text.isascii()
    if not is_ascii:
        for invisible in INVISIBLE_CHARS:
            if invisible in text:
                text = text.replace(invisible, "")
    for space in ODD_SPACE_CHARS[:7] if is_ascii else ODD_SPACE_CHARS:
        if space in text:
            text = text.replace(space, " ")
    if "  " in text:
        text = SPACE_RUNS.sub(" ", text)
    if " \n" in text or "\n " in text:
        text = "\n".join(line.strip(" ") for line in text.split("\n"))
    return text.strip(" ")


@dataclasses.dataclass(frozen=True)
class FixText:
    """Step: repair encoding damage and normalise spaces, keeping one input line per line; the
    given title and author are repaired alike ('Investorâ\\x80\\x99s' -> 'Investor’s')."""

    options: FixOptions = FixOptions()
    name: str = "fix_text"

    def __call__(self, doc: Document) -> Document:
        doc.text, damaged = drop_damaged_lines(repair(doc.raw, self.options, doc.repairs))
        if damaged:
            doc.extra[DAMAGED] = damaged
        for key in REPAIRED_FIELDS:  # the headline and byline a page or row gave, repaired alike
            value = doc.given.get(key)
            if isinstance(value, str) and value:
                doc.given[key] = " ".join(repair(value, self.options).split())
        return doc


def repair(text: str, options: FixOptions = FixOptions(), repairs: list[str] | None = None) -> str:
    """ftfy and space normalisation until nothing changes (`repair_in_rounds`, the definition).

    Most texts hold only SAFE_CHARS: no C0 separator (none is safe), nothing for ftfy, and their
    spaces normalised are safe again, so the rounds come down to one `normalise_spaces`
    (tests/test_fix.py checks the text and the repairs are the same)."""
    repairs = [] if repairs is None else repairs
    if _safe_chars_hold(options) and not NEEDS_FTFY.search(text):
        spaced = normalise_spaces(text)
        if spaced != text and "whitespace" not in repairs:
            repairs.append("whitespace")
        return spaced
    return repair_in_rounds(text, options, repairs)


def repair_in_rounds(text: str, options: FixOptions = FixOptions(), repairs: list[str] | None = None) -> str:
    """ftfy, then spaces, until nothing changes (at most MAX_REPAIR_ROUNDS): spacing can make
    text that ftfy reads differently ("Â" + a tab becomes "Â" + space, the mojibake of a
    no-break space), and ftfy's own line breaks split a line it fixed as a whole. The second
    round is cheap: ftfy only sees lines still holding an unsafe character."""
    repairs = [] if repairs is None else repairs
    if C0_SEPARATORS.search(text):
        text = C0_SEPARATORS.sub(" ", text)
        repairs.append("whitespace")
    for _ in range(MAX_REPAIR_ROUNDS):
        fixed = fix_text_fast(text, options)
        if fixed != text and "ftfy" not in repairs:
            repairs.append("ftfy")
        spaced = normalise_spaces(fixed)
        if spaced != fixed and "whitespace" not in repairs:
            repairs.append("whitespace")
        # Another round only when this one can have made new work for ftfy: spacing changed,
        # or ftfy broke a line it fixed as a whole (a lone CR, U+2028 ...).
        if spaced == fixed and fixed.count("\n") == text.count("\n"):
            return spaced
        if spaced == text:
            break
        text = spaced
    return text


@lru_cache(maxsize=1)
def _mojibake_marks() -> re.Pattern:
    """Characters one of which every match of ftfy's badness regex that needs no pair of
    characters holds ("Ã", "Â", C1 controls ...; schemas/checks.py proves the set): a line
    without one is not looked at. Mojibake that only a pair of characters shows still costs its
    article (the schema check); a class of single characters keeps this search cheap."""
    from newsclean.schemas.checks import mojibake_needles

    needles = mojibake_needles()
    if needles is None:
        return re.compile(r"[^\x00-\x7f]")
    return re.compile("[" + "".join(map(re.escape, sorted(needles[0]))) + "]")


def drop_damaged_lines(text: str) -> tuple[str, list[Removal]]:
    """`text` with each damaged line (see DAMAGE_FAMILY) blanked, line count kept, and the
    removals: blanked before the line rules, the lines they judge are the same on a second
    cleaning (idempotence)."""
    marks = _mojibake_marks()
    if "\ufffd" not in text and not marks.search(text):
        return text, []
    from ftfy.badness import is_bad

    lines = text.split("\n")
    removals = []
    for number, line in enumerate(lines, start=1):
        if "\ufffd" in line:
            rule = LOST_BYTES_RULE
        elif marks.search(line) and is_bad(line):
            rule = MOJIBAKE_RULE
        else:
            continue
        removals.append(Removal(number, rule, DAMAGE_FAMILY, line))
        lines[number - 1] = ""
    return ("\n".join(lines), removals) if removals else (text, [])


@dataclasses.dataclass(frozen=True)
class RecordDamagedLines:
    """Step after the line rules: the damaged lines FixText removed join the document's removals
    (the line-rule step sets `removals` afresh), and so the removals table."""

    name: str = "record_damaged_lines"

    def __call__(self, doc: Document) -> Document:
        damaged = doc.extra.pop(DAMAGED, None)
        if damaged:
            doc.removals = sorted([*doc.removals, *damaged], key=lambda removal: removal.line)
        return doc
