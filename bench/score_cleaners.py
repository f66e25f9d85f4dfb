#!/usr/bin/env python3
"""Score newsclean's line cleaning against general-purpose cleaners on labelled articles.

    python3 bench/score_cleaners.py            # seeds, tests/cases and ../shared/textdev
    python3 bench/score_cleaners.py --sample 5    # textdev: every 5th page only (what the test gate scores)
    pip install '.[bench]'                     # for the C4 rows (skipped when datatrove is missing)

Every line of every article carries a label (`../shared/gold/README.md`): `keep`, `title`, or a
boilerplate family. Each cleaner gets the article's raw text and is scored as the gold README
says: boilerplate recall (share of boilerplate lines no longer standing as a paragraph) and
content retention (share of `keep` lines still in the text), counted over all lines (micro) and
as the worst single article, and for newsclean the share of headlines found exactly (over the
articles with a gold headline that is not given with the text). Rows:

  no cleaning                 the text as it came (ftfy-free baseline: what is there to remove)
  datatrove C4QualityFilter   its defaults (C4's line rules: terminal punctuation, 3+ words, policy
                              words, javascript; a document under 5 sentences is dropped whole)
  datatrove C4, lines only    the same line rules, but never dropping a whole document
  trafilatura on text         each line as a <p> of an <article> page, `trafilatura.extract`
  trafilatura on the HTML     textdev only: the same page's HTML from ../shared/html-dev, comments off
  newsclean, rules only       `pipeline.clean_text` with the body model switched off
  newsclean                   `pipeline.clean_text` with the default options (and, on textdev, the
                              page's url, which the benchmark gives: its slug helps find the headline)
  newsclean, no url           textdev only: the same, the url not given (as from an input without one)
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from scoring import normalise, score  # noqa: E402  (tests/scoring.py: the gold README's scoring)
from newsclean.cleaning.body.pages import LabelledPage, case_pages, seed_pages, textdev_pages  # noqa: E402


def _article(page: LabelledPage, name: str, **more) -> dict:
    return {"name": name, "raw": page.raw, "lines": page.gold, "title": page.given_title,
            "gold_title": page.title, "url": page.url, **more}


def textdev_articles(folder: Path, every: int = 1) -> list[dict]:
    """[{name, raw, lines, gold_title, url, html}] of the WCXB development pages (../shared/textdev)."""
    if not (folder / "labels.jsonl").exists():
        return []
    return [_article(page, f"textdev {page.name}", html=folder.parent / "html-dev" / "html" / f"{page.name}.html.gz")
            for page in textdev_pages(folder)[::every]]


def labelled_articles(gold: Path, cases: Path) -> list[dict]:
    """[{name, raw, lines, title, gold_title}] from the seeds' gold labels and the rule cases."""
    seeds = seed_pages(gold, REPO / "seeds") if gold.exists() else []
    return [_article(page, page.name) for page in seeds + case_pages(cases)]


def no_cleaning(article: dict) -> str:
    return "\n\n".join(line for line in article["raw"].split("\n") if line.strip())


def c4_filter(drop_documents: bool):
    from datatrove.data import Document
    from datatrove.pipeline.filters import C4QualityFilter

    c4 = C4QualityFilter(min_num_sentences=5 if drop_documents else -1)

    def clean(article: dict) -> str:
        doc = Document(text=article["raw"], id="x")
        kept = c4.filter(doc)
        if kept is not True:  # (False, reason): the whole document is dropped
            return ""
        return doc.text.replace("\n", "\n\n")
    return clean


def trafilatura_on_text(article: dict) -> str:
    import html

    import trafilatura

    body = "".join(f"<p>{html.escape(line)}</p>" for line in article["raw"].split("\n") if line.strip())
    page = f"<html><body><article>{body}</article></body></html>"
    text = trafilatura.extract(page, include_comments=False) or ""
    return text.replace("\n", "\n\n")


def trafilatura_on_html(article: dict) -> str:
    """trafilatura at its best on these pages: the page's own HTML (../shared/html-dev holds the
    textdev pages under the same ids), comments off (the gold never holds them)."""
    import gzip

    import trafilatura

    page = article.get("html")
    if page is None or not page.exists():
        return article["raw"].replace("\n", "\n\n")
    html = gzip.decompress(page.read_bytes()).decode("utf-8", errors="replace")
    text = trafilatura.extract(html, include_comments=False, include_tables=True) or ""
    return text.replace("\n", "\n\n")


def newsclean(article: dict, with_url: bool = True) -> str:
    from newsclean import clean_text

    doc = clean_text(article["raw"], title=article.get("title"), url=article.get("url") if with_url else None)
    article["found_title"] = doc.title
    return doc.text


def newsclean_without_url(article: dict) -> str:
    return newsclean(article, with_url=False)


def newsclean_rules_only(article: dict) -> str:
    from newsclean import clean_text
    from newsclean.options import Options, RuleOptions

    doc = clean_text(article["raw"], title=article.get("title"), url=article.get("url"),
                     options=Options(rules=RuleOptions(body_model=False)))
    article["found_title"] = doc.title
    return doc.text


def evaluate(name: str, clean, articles: list[dict]) -> dict:
    totals = {"boilerplate": 0, "removed": 0, "keep": 0, "kept": 0}
    worst_recall, worst_retention, titles, headlines, titled = 1.0, 1.0, 0, 0, False
    for article in articles:
        article.pop("found_title", None)
        result = score(article["lines"], clean(article))
        titled = titled or "found_title" in article  # a system that finds the headline
        found, gold = article.get("found_title"), article.get("gold_title")
        if gold and not article.get("title"):  # a headline to find, not given with the text
            headlines += 1
            titles += bool(found and normalise(found) == normalise(gold))
        for key in totals:
            totals[key] += result[key]
        if result["boilerplate"]:
            worst_recall = min(worst_recall, result["removed"] / result["boilerplate"])
        if result["keep"]:
            worst_retention = min(worst_retention, result["kept"] / result["keep"])
    return {"system": name, "recall": totals["removed"] / max(totals["boilerplate"], 1),
            "retention": totals["kept"] / max(totals["keep"], 1),
            "worst_recall": worst_recall, "worst_retention": worst_retention,
            "title": titles / headlines if titled and headlines else None, **totals}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gold", type=Path, default=REPO.parent / "shared" / "gold" / "seeds.jsonl")
    parser.add_argument("--cases", type=Path, default=REPO / "tests" / "cases")
    parser.add_argument("--textdev", type=Path, default=REPO.parent / "shared" / "textdev")
    parser.add_argument("--sample", type=int, default=1, metavar="K", help="textdev: every K-th page")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    articles = labelled_articles(args.gold, args.cases)
    textdev = textdev_articles(args.textdev, args.sample)
    systems = [("no cleaning", no_cleaning)]
    try:
        systems += [("datatrove C4QualityFilter (defaults)", c4_filter(True)),
                    ("datatrove C4 line rules, no document drop", c4_filter(False))]
    except ImportError:
        print("datatrove is not installed: C4 rows skipped", file=sys.stderr)
    systems += [("trafilatura on text", trafilatura_on_text),
                ("newsclean, named rules only (body_model off)", newsclean_rules_only), ("newsclean", newsclean)]
    html_systems = [("newsclean, no url", newsclean_without_url),
                    ("trafilatura on the page's HTML (html-dev, no comments)", trafilatura_on_html)]
    groups = {"seeds (../shared/gold)": [a for a in articles if a["name"].startswith("seed ")],
              "tests/cases (written for the rules)": [a for a in articles if not a["name"].startswith("seed ")],
              "textdev (WCXB dev article pages, full-page scrapes)": textdev}
    results = {group: [evaluate(name, clean, members) for name, clean in
                       systems + (html_systems if group.startswith("textdev") else [])]
               for group, members in groups.items() if members}
    if args.json:
        print(json.dumps(results, indent=2))
        return
    for group, rows in results.items():
        print(f"\n{group}: {len(groups[group])} articles, {rows[0]['boilerplate']} boilerplate and "
              f"{rows[0]['keep']} content lines\n")
        print("| system | boilerplate recall | content retention | title exact | worst article: recall | worst article: retention |")
        print("|---|---|---|---|---|---|")
        for r in rows:
            title = "" if r["title"] is None else f"{r['title']:.3f}"
            print(f"| {r['system']} | {r['recall']:.3f} | {r['retention']:.3f} | {title} | "
                  f"{r['worst_recall']:.3f} | {r['worst_retention']:.3f} |")

if __name__ == "__main__":
    main()
