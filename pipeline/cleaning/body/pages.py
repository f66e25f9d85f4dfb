"""Labelled pages for training and scoring the body model: each page's lines after the named
rules, with the gold label of each (`../shared/gold/README.md` format)."""
from __future__ import annotations

import dataclasses
import json
import tomllib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ...document import Document
from ...options import RuleOptions
from ..boilerplate import StripBoilerplate
from ..context import Line
from ..fix import FixText

CONTENT, TITLE, CHROME = "keep", "title", "boilerplate"


@dataclass
class LabelledPage:
    name: str
    site: str  # the group for site-disjoint cross-validation
    raw: str
    labels: dict[int, str]  # input line number -> keep / title / any boilerplate label
    title: str | None  # the gold headline
    given_title: str | None = None  # a title the input carries (tests/cases give one)
    gold: list[dict] | None = None  # the labelled lines ({n, text, label}), for scoring
    url: str | None = None  # the page's url (textdev gives it): its slug helps find the headline


def _json_lines(path: Path) -> list[dict]:
    """One object per line; split on "\n" only (a string may hold U+2028, which splitlines cuts)."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line]


def textdev_pages(folder: Path) -> list[LabelledPage]:
    pages = []
    for row in _json_lines(folder / "labels.jsonl"):
        raw = (folder / "raw" / f"{row['id']}.txt").read_text(encoding="utf-8")
        host = urlsplit(row["metadata"].get("url") or "").hostname or row["id"]
        pages.append(LabelledPage(row["id"], host.removeprefix("www."), raw,
                                  {line["n"]: line["label"] for line in row["lines"]}, row["metadata"]["title"],
                                  gold=row["lines"], url=row["metadata"].get("url")))
    return pages


def seed_pages(gold: Path, seeds: Path) -> list[LabelledPage]:
    pages = []
    for row in _json_lines(gold):
        raw = (seeds / f"{row['id']}.txt").read_text(encoding="utf-8")
        pages.append(LabelledPage(f"seed {row['id']}", f"seed {row['id']}", raw,
                                  {line["n"]: line["label"] for line in row["lines"]}, row["metadata"]["title"],
                                  gold=row["lines"]))
    return pages


def case_pages(cases: Path) -> list[LabelledPage]:
    pages = []
    for path in sorted(cases.glob("*.toml")):
        for case in tomllib.loads(path.read_text(encoding="utf-8"))["case"]:
            gold = []
            for n, row in enumerate(case["lines"].strip("\n").split("\n"), start=1):
                label, _, text = row.partition(" | ")
                gold.append({"n": n, "label": label.strip(), "text": text})
            name = f"{path.stem}: {case['name']}"
            pages.append(LabelledPage(name, name, "\n".join(line["text"] for line in gold),
                                      {line["n"]: line["label"] for line in gold}, case.get("title"),
                                      case.get("title"), gold))
    return pages


def label_of(line: Line, labels: dict[int, str]) -> str:
    """A joined line is content when any of its parts is."""
    found = [labels.get(number, CHROME) for number, _ in line.parts]
    if CONTENT in found:
        return CONTENT
    return TITLE if TITLE in found else CHROME


def after_rules(page: LabelledPage, options: RuleOptions = RuleOptions()) -> tuple[list[Line], list[Line]]:
    """The page's lines still standing after the named rules, and those they removed (the
    headline they took among them, rule "title"). Text goes through the pipeline's ftfy step first."""
    doc = FixText()(Document(id=page.name, raw=page.raw, provenance="train",
                             given={"title": page.given_title} if page.given_title else {}))
    numbered = [(number, text) for number, text in enumerate(doc.text.split("\n"), start=1) if text]
    standing, removed, _ = StripBoilerplate(dataclasses.replace(options, body_model=False)).rule_passes(
        numbered, page.given_title)
    return standing, removed
