"""Vectorised forms of the corpus schema's text checks, exactly equal to the per-row Python ones.

The row checks of `schemas/corpus.py` are defined by Python code: ftfy's `is_bad` and a Python
regular expression. Run per row, they cost more than the cleaning itself. Here the same answers
come from one RE2 pass over the Arrow column (`pyarrow.compute`), built so that they cannot differ:

- `mojibake_candidates`: a necessary condition for `ftfy.badness.is_bad`, derived from ftfy's own
  regex and verified against its structure at import; only the candidate rows run `is_bad`.
- `re2_equivalent`: a Python pattern rewritten for RE2 with every character class spelled out as
  the exact set of characters Python's engine matches (Unicode `\\s`, `\\d`, case folding).

Anything the derivations cannot prove falls back to the per-row Python check. Proofs in
tests/test_schema_checks.py (hypothesis: fast path == slow path on arbitrary text, mojibake included).
"""
from __future__ import annotations

import logging
import re
import sys
from array import array
from functools import lru_cache

import pyarrow as pa
import pyarrow.compute as pc

log = logging.getLogger(__name__)

@lru_cache(maxsize=1)
def _all_chars() -> str:
    """Every code point a str in an Arrow (UTF-8) column can hold: all but the surrogates."""
    points = array("I", range(0xD800)) + array("I", range(0xE000, 0x110000))
    return points.tobytes().decode("utf-32-le" if sys.byteorder == "little" else "utf-32-be")


def _re2_class(chars, negate: bool = False) -> str:
    """An RE2 character class matching exactly `chars` (or every code point but them, `negate`)."""
    points = sorted(ord(c) for c in chars)
    if not points:
        if negate:
            return r"[\x{0}-\x{10FFFF}]"
        raise ValueError("empty character class")
    ranges, start, prev = [], points[0], points[0]
    for p in points[1:]:
        if p != prev + 1:
            ranges.append((start, prev))
            start = p
        prev = p
    ranges.append((start, prev))
    body = "".join(f"\\x{{{a:x}}}" if a == b else f"\\x{{{a:x}}}-\\x{{{b:x}}}" for a, b in ranges)
    return f"[{'^' if negate else ''}{body}]"


# ---------------------------------------------------------------- ftfy's badness regex

def _parsed_branches(pattern: re.Pattern) -> list | None:
    """The top-level alternatives of `pattern`, parsed by Python's own regex parser."""
    try:
        from re import _constants as C
        from re import _parser
    except ImportError:  # a Python without the (internal) parser: no proof, no fast path
        return None
    tree = _parser.parse(pattern.pattern, pattern.flags)
    items = list(tree.data)
    if len(items) == 1 and items[0][0] is C.BRANCH:
        return [list(alt.data) for alt in items[0][1][1]]
    return [items]


def _fixed_chars(op, av) -> frozenset[int] | None:
    """The code points one consuming item can match, when it is a plain literal or set; else None."""
    from re import _constants as C

    if op is C.LITERAL:
        return frozenset([av])
    if op is C.IN:
        points: set[int] = set()
        for kind, value in av:
            if kind is C.LITERAL:
                points.add(value)
            elif kind is C.RANGE:
                points.update(range(value[0], value[1] + 1))
            else:  # NEGATE, CATEGORY (\s, \w ...): not a fixed set
                return None
        return frozenset(points)
    return None


@lru_cache(maxsize=1)
def mojibake_needles() -> tuple[frozenset[str], frozenset[str]] | None:
    """(singles, pair_chars): every match of ftfy's BADNESS_RE contains a character of `singles`
    or two adjacent characters of `pair_chars`; None when that cannot be shown for this ftfy.

    Proof by structure: each alternative of BADNESS_RE is a sequence of items; an item that
    must match exactly once and can only match non-ASCII characters (LITERAL / IN of literals and
    ranges) is "fixed". When two fixed items are adjacent in an alternative (nothing optional
    between them; zero-width anchors consume nothing), any match of it contains two adjacent
    characters of their union; otherwise the alternative's smallest fixed item goes to `singles`.
    An alternative with no fixed item, or a flag that changes matching, defeats the proof.
    """
    from ftfy.badness import BADNESS_RE

    branches = _parsed_branches(BADNESS_RE)
    if branches is None or BADNESS_RE.flags & (re.IGNORECASE | re.LOCALE):
        return None
    from re import _constants as C

    pair_sets, singles = [], set()
    for alternative in branches:
        run: list[frozenset[int] | None] = []  # consuming items in order; None = not fixed
        for op, av in alternative:
            if op is C.AT:
                continue  # zero-width: adjacency is kept
            fixed = _fixed_chars(op, av)
            if fixed is not None and min(fixed) < 0x80:
                fixed = None  # an ASCII character is never a needle
            run.append(fixed)
        pairs = [(a, b) for a, b in zip(run, run[1:]) if a is not None and b is not None]
        if pairs:
            pair_sets.extend(pairs[0])
            continue
        fixed_items = [f for f in run if f is not None]
        if not fixed_items:
            log.warning("ftfy's badness regex has an alternative without a fixed non-ASCII "
                        "character; the mojibake check runs ftfy on every text")
            return None
        singles.update(min(fixed_items, key=len))
    pair_chars = frozenset().union(*pair_sets) if pair_sets else frozenset()
    return frozenset(map(chr, singles)), frozenset(map(chr, pair_chars))


@lru_cache(maxsize=1)
def mojibake_candidate_re2() -> str | None:
    """RE2 pattern matching every text that `is_bad` could flag (and a few more); None: no proof."""
    needles = mojibake_needles()
    if needles is None:
        return None
    singles, pair_chars = needles
    parts = []
    if singles:
        parts.append(_re2_class(set(singles)))
    if pair_chars:
        cls = _re2_class(set(pair_chars))
        parts.append(cls + cls)
    return "|".join(parts) if parts else None


def _as_array(texts) -> pa.Array | pa.ChunkedArray:
    if isinstance(texts, (pa.Array, pa.ChunkedArray)):
        return texts
    return pa.array(texts, pa.string())


def mojibake_candidates(texts) -> list[bool]:
    """Per text: True when it may contain mojibake (ftfy must look), False when it provably cannot.

    Nulls are False."""
    array = _as_array(texts)
    pattern = mojibake_candidate_re2()
    if pattern is None:
        return [value is not None for value in array.to_pylist()]
    return pc.fill_null(pc.match_substring_regex(array, pattern), False).to_pylist()


def mojibake_free(texts) -> list[bool]:
    """Per text: no U+FFFD and ftfy's `is_bad` is False (nulls pass); is_bad runs on candidates only."""
    from ftfy.badness import is_bad

    array = _as_array(texts)
    replacement = pc.fill_null(pc.match_substring(array, "\ufffd"), False).to_pylist()
    candidates = mojibake_candidates(array)
    result = [not r for r in replacement]
    for i, candidate in enumerate(candidates):
        if candidate and result[i]:
            result[i] = not is_bad(array[i].as_py())
    return result


# ---------------------------------------------------------------- Python regex -> RE2

@lru_cache(maxsize=256)
def _python_class_as_re2(python_class: str, flags: int) -> str:
    """The RE2 class of exactly the characters Python's engine matches with this one-character
    pattern under `flags`, found by running it over every code point. A negated class or `.`
    is written as the complement: the characters where it does not match, found the same way."""
    if python_class == "." or python_class.startswith("[^"):
        # (?!P). matches a character exactly where the one-character pattern P does not
        misses = re.findall(f"(?!{python_class}).", _all_chars(), flags | re.DOTALL)
        return _re2_class(misses, negate=True)
    return _re2_class(re.findall(python_class, _all_chars(), flags))


def _literal_class(code: int, flags: int, pool: str) -> str:
    """The RE2 class of the characters matching one literal; `pool` holds every character that
    matches any literal of the pattern (one scan), so the search is over a few characters only."""
    pattern = re.compile(re.escape(chr(code)), flags)
    return _re2_class([c for c in pool if pattern.fullmatch(c)])


def _literals(items) -> set[int]:
    from re import _constants as C

    found: set[int] = set()
    for op, av in items:
        if op is C.LITERAL:
            found.add(av)
        elif op is C.BRANCH:
            for alt in av[1]:
                found |= _literals(alt.data)
        elif op is C.SUBPATTERN:
            found |= _literals(av[3].data)
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            found |= _literals(av[2].data)
    return found


def _item_class(op, av) -> str:
    """A one-character Python pattern for one parsed set, negated literal or `.`."""
    from re import _constants as C

    def char(code: int) -> str:
        return re.escape(chr(code))

    if op is C.NOT_LITERAL:
        return f"[^{char(av)}]"
    if op is C.ANY:
        return "."
    categories = {C.CATEGORY_SPACE: r"\s", C.CATEGORY_NOT_SPACE: r"\S", C.CATEGORY_DIGIT: r"\d",
                  C.CATEGORY_NOT_DIGIT: r"\D", C.CATEGORY_WORD: r"\w", C.CATEGORY_NOT_WORD: r"\W"}
    body = []
    for kind, value in av:
        if kind is C.NEGATE:
            body.insert(0, "^")
        elif kind is C.LITERAL:
            body.append(char(value))
        elif kind is C.RANGE:
            body.append(f"{char(value[0])}-{char(value[1])}")
        elif kind is C.CATEGORY and value in categories:
            body.append(categories[value])
        else:
            raise NotImplementedError(f"set member {kind} {value}")
    return f"[{''.join(body)}]"


def _emit(items, flags: int, pool: str) -> str:
    from re import _constants as C

    out = []
    for op, av in items:
        if op is C.LITERAL:
            out.append(_literal_class(av, flags, pool))
        elif op in (C.NOT_LITERAL, C.ANY, C.IN):
            out.append(_python_class_as_re2(_item_class(op, av), flags))
        elif op is C.BRANCH:
            out.append("(?:" + "|".join(_emit(alt.data, flags, pool) for alt in av[1]) + ")")
        elif op is C.SUBPATTERN:
            _group, add_flags, del_flags, sub = av
            if add_flags or del_flags:
                raise NotImplementedError("inline flags")
            out.append("(?:" + _emit(sub.data, flags, pool) + ")")
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            low, high, sub = av
            if low > 1000 or (high is not C.MAXREPEAT and high > 1000):
                raise NotImplementedError("repeat count beyond RE2's limit")
            if high is C.MAXREPEAT:
                bounds = "*" if low == 0 else "+" if low == 1 else f"{{{low},}}"
            else:
                bounds = f"{{{low},{high}}}"
            out.append("(?:" + _emit(sub.data, flags, pool) + ")" + bounds)
        elif op is C.AT:
            anchors = {C.AT_BEGINNING: "^", C.AT_END: "$", C.AT_BEGINNING_STRING: r"\A"}
            if av not in anchors:
                raise NotImplementedError(f"anchor {av}")
            if av is C.AT_END and not flags & re.MULTILINE:
                raise NotImplementedError("$ without MULTILINE (Python also matches before a final newline)")
            out.append(anchors[av])
        else:
            raise NotImplementedError(f"regex construct {op}")
    return "".join(out)


@lru_cache(maxsize=64)
def re2_equivalent(pattern: str, flags: int) -> str | None:
    """An RE2 pattern that finds a match in exactly the texts the Python pattern does; None when
    the pattern uses something this translation does not cover (then use Python per row).

    Only whether a match exists is preserved (not groups or spans). Classes, literals and `.` are
    replaced by the explicit set of code points Python's engine matches for them under `flags`
    (Unicode \\s and \\d, IGNORECASE folds such as 'ſ' for 's' or 'K' for 'k')."""
    if flags & (re.LOCALE | re.DOTALL | re.VERBOSE | re.ASCII):
        return None
    try:
        from re import _constants as C
        from re import _parser

        items = list(_parser.parse(pattern, flags).data)
        literals = _literals(items)
        pool = "".join(re.findall(_item_class(C.IN, [(C.LITERAL, c) for c in sorted(literals)]),
                                  _all_chars(), flags)) if literals else ""
        body = _emit(items, flags, pool)
    except (ImportError, NotImplementedError, ValueError) as exc:
        log.info("no RE2 form for %r: %s", pattern, exc)
        return None
    return ("(?m)" if flags & re.MULTILINE else "") + body


def regex_absent(texts, pattern: re.Pattern) -> list[bool]:
    """Per text: `pattern.search(text) is None` (nulls pass), in one RE2 pass when possible."""
    array = _as_array(texts)
    re2 = re2_equivalent(pattern.pattern, pattern.flags)
    if re2 is None:
        return [t is None or pattern.search(t) is None for t in array.to_pylist()]
    found = pc.fill_null(pc.match_substring_regex(array, re2), False)
    return pc.invert(found).to_pylist()
