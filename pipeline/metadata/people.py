"""Who wrote it (bylines) and who is credited (agencies and sources)."""
from __future__ import annotations

import re

BYLINE_LABEL = re.compile(
    r"^\s*(?:by|written by|posted by|words by|reported by|story by|authors?|reporter|por|par|von)"
    r"\s*[:\-–—]?\s+", re.IGNORECASE)
# What follows the names: "| Reuters", ", Updated ...", " - June 18, 2023", "in Beijing".
BYLINE_TAIL = re.compile(r"\s*(?:[|•·]|\s[-–—]\s|,\s*(?:updated|published|posted)\b|\bon \w+ \d|"
                         r"\bin [A-Z][a-z]+$|\s\d{1,2}\s\w+\s\d{4}|\s\w+ \d{1,2},? \d{4}).*$")
# "Posted on June 18, 2023 by admin", "June 18, 2023 | By Jane Doe": the date before the name.
DATE_BEFORE_BY = re.compile(r"^.*?\d{4}(?:\s*,?\s*(?:at\s+)?\d{1,2}[:.]\d{2}\s*(?:[ap]\.?m\.?)?)?\s+(?:\|\s+)?(?=by\s)",
                            re.IGNORECASE)
NAME_SPLIT = re.compile(r"\s*(?:,\s*and\s+|\s+and\s+|\s*&\s*|\s*,\s*|\s+y\s+|\s+et\s+|\s+und\s+)\s*")

CREDIT_PATTERNS = (
    # "(With AP inputs)", "(with Reuters inputs)"
    re.compile(r"^[*(\[\s]*with (?:additional )?(?!inputs?\b)(?P<who>[\w .,&'/-]{1,40}?) inputs?\b", re.I),
    # "(With inputs from PTI)", "*With information from AFP and EFE"
    re.compile(r"^[*(\[\s]*with (?:additional )?(?:(?:agency |wire )?inputs?|information) (?:from|by) "
               r"(?P<who>[\w .,&'/-]{1,80})", re.I),
    # "Source: theguardian", "Via: The Verge"
    re.compile(r"^[(\s]*(?:sources?|via|courtesy(?: of)?)\s*[:：\-–—]\s*(?P<who>[^)]{1,80})", re.I),
    # "AFP", "(Reuters)", "— AP"
    re.compile(r"^[(\-–—\s]*(?P<who>ap|afp|reuters|pti|ani|ians|efe|dpa|ansa|upi|xinhua|bloomberg|"
               r"associated press|agence france-presse|press trust of india)[)\-–—.\s]*$", re.I),
)
AGENCIES = (r"ap|afp|reuters|pti|ani|ians|efe|dpa|ansa|upi|xinhua|bloomberg|associated press|"
            r"agence france-presse|press trust of india|the associated press|the canadian press|cnn|bbc")
# "By JANE DOE, Associated Press" / "By Jane Doe (Reuters)": the agency the byline credits.
BYLINE_AGENCY = re.compile(rf"(?:\s*[,(|/]|\s[–—-])\s*(?P<agency>{AGENCIES})\s*\)?\s*$", re.IGNORECASE)
# "By Reuters", "By AP Staff", "By The Associated Press": an agency in the author's place.
# Short codes only as written by agencies (upper case): "By Efe" and "By Ani" are people.
AGENCY_ONLY = re.compile(r"\(?(?P<agency>(?-i:AP|AFP|PTI|ANI|IANS|EFE|DPA|dpa|ANSA|UPI|CNN|BBC)|reuters|xinhua|"
                         r"bloomberg|(?:the )?associated press|agence france-presse|press trust of india|"
                         r"the canadian press)\)?(?:\s+(?:staff|wire|news|reporters?|reporting))?", re.IGNORECASE)
GENERIC_CREDIT = {"agency", "agencies", "agency inputs", "wire", "wires", "staff", "news desk",
                  "web desk", "desk", "online desk", "reports", "media reports", "news agencies"}


# What trafilatura's author field drags in after the names: a "• March 3" tail, a lone month.
PAGE_AUTHOR_TAIL = re.compile(r"\s*[•·|]\s.*$|\s+(?:january|february|march|september|october|november|"
                              r"december|jan|feb|mar|sept?|oct|nov|dec)\.?$", re.IGNORECASE)


def page_author(author: str) -> str | None:
    """trafilatura's author field as a byline would give it: 'Chen Zhao; Daryl Fairweather' ->
    'Chen Zhao, Daryl Fairweather'; 'Luke Kim December' -> 'Luke Kim'. (May, June, April and
    August stay: they are also names.)"""
    parts = [PAGE_AUTHOR_TAIL.sub("", part).strip(" ,;") for part in author.split(";")]
    return ", ".join(part for part in parts if part) or None


def names(text: str) -> list[str]:
    return [name.strip(" .") for name in NAME_SPLIT.split(text) if name.strip(" .")]


def _byline_names(line: str) -> str:
    """The names part of a byline: no date before it, no label, no tail after it."""
    text = DATE_BEFORE_BY.sub("", line, count=1)
    text = BYLINE_LABEL.sub("", text, count=1)
    return BYLINE_TAIL.sub("", text).strip(" ,.;:-–—|")


def author_from_byline(line: str) -> str | None:
    """'By Jane Doe and John Roe | Reuters' -> 'Jane Doe and John Roe' (as written)."""
    text = _byline_names(line)
    if BYLINE_AGENCY.search(text) and BYLINE_AGENCY.sub("", text).strip():
        text = BYLINE_AGENCY.sub("", text).strip(" ,.;:-–—|")
    if AGENCY_ONLY.fullmatch(text):
        return None  # an agency is credited, not an author (agency_in_byline finds it)
    return text or None


def agency_in_byline(line: str) -> str | None:
    """'By Jane Doe, Associated Press' -> 'Associated Press'; 'By Jane Doe | Reuters' -> 'Reuters';
    'By Reuters' -> 'Reuters'."""
    alone = AGENCY_ONLY.fullmatch(_byline_names(line))
    if alone:
        return alone.group("agency")
    text = BYLINE_LABEL.sub("", line, count=1)
    for separator in ("|", "•", "·"):
        text = text.replace(separator, ",")
    head = text.split(",")
    for part in head[1:]:
        found = re.fullmatch(rf"\s*\(?(?P<agency>{AGENCIES})\)?\s*", part, re.IGNORECASE)
        if found:
            return found.group("agency")
    found = BYLINE_AGENCY.search(text)
    return found.group("agency") if found and BYLINE_AGENCY.sub("", text).strip() else None


def credits_from_line(line: str) -> list[str]:
    """Agencies and sources a credit line names ('*With information from AFP and EFE' -> AFP, EFE)."""
    for pattern in CREDIT_PATTERNS:
        found = pattern.match(line)
        if found:
            who = found.group("who").strip(" .)*")
            return [n for n in names(who) if n.casefold() not in GENERIC_CREDIT]
    return []
