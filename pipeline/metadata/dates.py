"""Publication dates from date lines and input fields, kept as the wall-clock time the page gives.

A date with a zone keeps its wall-clock value; the zone goes to a separate UTC offset
("+02:00"). A date without a zone is never shifted. Relative dates ("3 hours ago") are
resolved only against a known reference time (e.g. a WARC fetch date), else left unknown.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from functools import lru_cache

# Words around the date itself, dropped before parsing.
LABEL = re.compile(
    r"^\s*(?:(?:first |last )?(?:published|updated|posted|modified|created|date|dated)"
    r"(?: on| at)?\s*[:\-–—]?\s*)", re.IGNORECASE)
TRAILING_UPDATE = re.compile(r"\s*[|,]\s*(?:updated|last updated)\b.*$", re.IGNORECASE)
RELATIVE = re.compile(r"\bago\b", re.IGNORECASE)
ISO_LIKE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?$")
# Zone abbreviations dateparser would convert to UTC; we keep the wall clock and drop them.
ZONE_WORD = re.compile(r"\s*\(?\b(?:[A-Z]{2,4}T|UTC|GMT|IST|BST|CET|CEST|EET|EEST|JST|KST|AEST|AEDT)\b\)?\s*$")


def utc_offset(value: datetime) -> str | None:
    offset = value.utcoffset()
    if offset is None:
        return None
    minutes = int(offset / timedelta(minutes=1))
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def parse_date(text: str, reference: datetime | None = None) -> tuple[datetime | None, str | None]:
    """(wall-clock datetime without zone, UTC offset like '+02:00' or None) for a date text."""
    text = TRAILING_UPDATE.sub("", LABEL.sub("", text.strip()))
    if not text:
        return None, None
    if ISO_LIKE.match(text):
        try:
            value = datetime.fromisoformat(text.replace("Z", "+00:00"))
            return value.replace(tzinfo=None), utc_offset(value)
        except ValueError:
            pass
    if RELATIVE.search(text) and reference is None:
        return None, None
    return _parse_natural(ZONE_WORD.sub("", text), reference)


@lru_cache(maxsize=4096)
def _parse_natural(text: str, reference: datetime | None) -> tuple[datetime | None, str | None]:
    import dateparser  # imported on first use: it takes half a second to load

    settings = {"RETURN_AS_TIMEZONE_AWARE": False, "PREFER_DAY_OF_MONTH": "first",
                "REQUIRE_PARTS": ["day", "month", "year"] if not RELATIVE.search(text) else [],
                "STRICT_PARSING": False, "PREFER_DATES_FROM": "past"}
    if reference is not None:
        settings["RELATIVE_BASE"] = reference
    try:
        value = dateparser.parse(text, languages=["en"], settings=settings)
    except (ValueError, OverflowError, TypeError):
        return None, None
    if value is None:
        return None, None
    return value.replace(tzinfo=None), utc_offset(value)


YEAR = re.compile(r"\b(?:19|20)\d\d\b")
LINE_PARTS = re.compile(r"\s*[|•·]\s*|\s[-–—]\s|\s+on\s+|\s+by\s+|,\s+(?=(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|mon|tue|wed|thu|fri|sat|sun)\w*\b)", re.IGNORECASE)


def date_in_line(text: str, reference: datetime | None = None) -> tuple[datetime | None, str | None]:
    """A date inside a line that says more ('Posted by admin on June 18, 2023', 'By Jane Doe |
    Updated: Jun 18, 2023'): the first part between separators that parses as a full date."""
    for part in LINE_PARTS.split(text):
        if YEAR.search(part):
            value, offset = parse_date(part, reference)
            if value is not None:
                return value, offset
    return None, None
