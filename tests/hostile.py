"""Hostile inputs built from the line rules' own pieces, for the safety tests and bench/fuzz.py.

A pattern that backtracks catastrophically does so on text made of its own pieces: repeats of
the separators and words it expects, ending just short of a match ("Next » Next » ... »" for a
breadcrumb rule whose last part must be followed by a title). `pieces` lists, in pattern order,
one sample string for every literal run and character class of a pattern; `hostile_lines`
repeats runs of consecutive pieces up to a length and ends them with near misses.
"""
from __future__ import annotations

import re
from itertools import product

try:
    from re import _constants as C, _parser as sre_parse  # Python 3.11+
except ImportError:  # pragma: no cover - older Pythons
    import sre_constants as C
    import sre_parse

CATEGORY_SAMPLES = {C.CATEGORY_SPACE: " ", C.CATEGORY_DIGIT: "1", C.CATEGORY_WORD: "a",
                    C.CATEGORY_NOT_SPACE: "x", C.CATEGORY_NOT_DIGIT: "x", C.CATEGORY_NOT_WORD: " "}
# Endings that fail most patterns at the very end: nothing more (a repeat cut short), a new
# line (`.` does not take it), a NUL (no rule's literal).
NEAR_MISS_ENDINGS = ("", "\n", "\x00")


def pieces(pattern: str, flags: int = 0) -> list[str]:
    """One sample string per literal run and character class of `pattern`, in order, without repeats."""
    out: list[str] = []
    _walk(sre_parse.parse(pattern, flags), out)
    return list(dict.fromkeys(p for p in out if p))


def _walk(items, out: list[str]) -> None:
    literal = []
    for op, arg in items:
        if op is C.LITERAL:
            literal.append(chr(arg))
            continue
        if literal:
            out.append("".join(literal))
            literal = []
        if op is C.IN:
            out.extend(_class_samples(arg))
        elif op is C.ANY or op is C.NOT_LITERAL:
            out.append("x")
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, getattr(C, "POSSESSIVE_REPEAT", None)):
            _walk(arg[2], out)
        elif op is C.SUBPATTERN:
            _walk(arg[-1], out)
        elif op is C.BRANCH:
            for branch in arg[1]:
                _walk(branch, out)
        elif op in (C.ASSERT, C.ASSERT_NOT):
            _walk(arg[1], out)
        elif op is getattr(C, "ATOMIC_GROUP", None):
            _walk(arg, out)
        elif op is C.CATEGORY:
            out.append(CATEGORY_SAMPLES.get(arg, "x"))
    if literal:
        out.append("".join(literal))


def _class_samples(items) -> list[str]:
    if items and items[0][0] is C.NEGATE:
        return ["x", " "]
    samples = []
    for op, arg in items:
        if op is C.LITERAL:
            samples.append(chr(arg))
        elif op is C.RANGE:
            samples.append(chr(arg[0]))
        elif op is C.CATEGORY:
            samples.append(CATEGORY_SAMPLES.get(arg, "x"))
    return samples


def hostile_units(parts: list[str], widths: tuple[int, ...] = (1, 2, 3)) -> list[str]:
    """Runs of `widths` consecutive pieces, joined as they are and with spaces between."""
    units = []
    for width in widths:
        for start in range(len(parts) - width + 1):
            window = parts[start:start + width]
            units += ["".join(window), " ".join(window)]
    return list(dict.fromkeys(u for u in units if u.strip() or u == " "))


def hostile_lines(pattern: str, length: int = 10_000, flags: int = re.IGNORECASE,
                  widths: tuple[int, ...] = (1, 2, 3), starts: tuple[str, ...] = ()):
    """Lines of about `length` characters: a prefix (nothing, the pattern's first piece, or one
    of `starts`, such as lines the pattern takes), one run of its pieces or one of `starts`
    repeated ("[ad_1][ad_1]..."), a near-miss ending. Yields each line once."""
    parts = pieces(pattern, flags)
    prefixes = ("", *parts[:1], *starts)
    seen = set()
    units = hostile_units(parts, widths) + [u for s in starts for u in (s, s + " ")]
    for unit, prefix, ending in product(units, prefixes, NEAR_MISS_ENDINGS):
        line = prefix + unit * max(1, (length - len(prefix)) // len(unit)) + ending
        if line not in seen:
            seen.add(line)
            yield line
