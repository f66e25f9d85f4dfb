"""Score the HTML path against trafilatura alone on real pages with ground truth.

    python3 bench/score_html.py [--dev ../shared/html-dev] [--workers N] [--details FILE]

The pages are the development sample of WCXB, the Web Content Extraction Benchmark (Murrough
Foley, CC-BY-4.0; see LICENSE-WCXB beside them). Text is scored as WCXB does: bag-of-words
precision / recall / F1 over lower-cased \\w+ tokens of `main_content`, averaged over pages (a
page with no output scores 0). Title and author: exact match after folding runs of spaces; date:
the calendar day; a field the gold leaves empty must come out empty. "snippets": share of pages
where every `with` snippet is in the text and no `without` snippet is.

Rows:
  trafilatura (defaults)   trafilatura.extract(html) and trafilatura.extract_metadata(html)
  trafilatura (our opts)   the same extraction options newsclean uses, without its cleaning
  newsclean                `pipeline.run` over the page files, read back from the corpus
No system is given the page's url (saved .html files do not carry it).
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from newsclean import run  # noqa: E402
from newsclean.options import Options  # noqa: E402

DEFAULT_DEV = Path("..") / "shared" / "html-dev"  # relative to the repo
TOKEN = re.compile(r"\w+")
SPACES = re.compile(r"\s+")
BATCH_DOCS = 4  # small batches spread 120 pages over the workers (the default 500 is one batch)


def tokens(text: str | None) -> Counter:
    return Counter(TOKEN.findall((text or "").lower()))


def text_scores(predicted: str | None, gold: str) -> tuple[float, float, float]:
    got, want = tokens(predicted), tokens(gold)
    common = sum((got & want).values())
    if not common:
        return 0.0, 0.0, 0.0
    precision, recall = common / sum(got.values()), common / sum(want.values())
    return precision, recall, 2 * precision * recall / (precision + recall)


def same(got, want) -> bool:
    fold = lambda v: SPACES.sub(" ", str(v)).strip() if v not in (None, "") else None  # noqa: E731
    return fold(got) == fold(want)


def day(value) -> str | None:
    if value in (None, ""):
        return None
    return value.date().isoformat() if hasattr(value, "date") and callable(value.date) else str(value)[:10]


def snippets_ok(text: str | None, gold: dict) -> bool:
    flat = SPACES.sub(" ", text or "")
    return all(SPACES.sub(" ", s) in flat for s in gold.get("with") or []) and \
        not any(SPACES.sub(" ", s) in flat for s in gold.get("without") or [])


def _trafilatura_page(job: tuple[str, str]) -> tuple[str, dict]:
    """(page id, {system: {text, title, author, date}}) for both trafilatura rows."""
    import trafilatura

    from newsclean.extract.html import extract

    page_id, path = job
    html = gzip.open(path).read().decode("utf-8")
    meta = trafilatura.extract_metadata(html)
    default = {"text": trafilatura.extract(html), "title": meta.title if meta else None,
               "author": meta.author if meta else None, "date": meta.date if meta else None}
    ours = extract(html, None, Options().extract)
    tuned = {"text": ours.text if ours else None, "title": ours.title if ours else None,
             "author": ours.author if ours else None, "date": ours.date if ours else None}
    return page_id, {"trafilatura (defaults)": default, "trafilatura (our opts)": tuned}


def _newsclean(html_dir: Path, workers: int) -> dict[str, dict]:
    import pyarrow.parquet as pq

    with tempfile.TemporaryDirectory() as tmp:
        summary = run([html_dir], Path(tmp) / "out", Options(workers=workers, batch_docs=BATCH_DOCS))
        print(summary.to_text(), file=sys.stderr)
        rows = pq.read_table(Path(tmp) / "out" / "data").to_pylist()
    return {row["id"]: {"text": row["text"], "title": row["title"], "author": row["author"],
                        "date": row["published"]} for row in rows}


def score(dev: Path, workers: int, details: Path | None) -> list[dict]:
    gold = {g["id"]: g for g in map(json.loads, filter(None, (dev / "gold.jsonl").read_text("utf-8").split("\n")))}
    started = time.perf_counter()
    jobs = [(page_id, str(dev / "html" / f"{page_id}.html.gz")) for page_id in sorted(gold)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        outputs = dict(pool.map(_trafilatura_page, jobs, chunksize=4))
    print(f"trafilatura rows: {time.perf_counter() - started:.0f} s", file=sys.stderr)
    started = time.perf_counter()
    ours = _newsclean(dev / "html", workers)
    print(f"newsclean row: {time.perf_counter() - started:.0f} s", file=sys.stderr)
    for page_id in gold:
        outputs[page_id]["newsclean"] = ours.get(page_id, {})  # rejected page: no output

    systems = ["trafilatura (defaults)", "trafilatura (our opts)", "newsclean"]
    table, lines = [], []
    for system in systems:
        sums = Counter()
        for page_id, want in gold.items():
            got = outputs[page_id][system]
            p, r, f = text_scores(got.get("text"), want["main_content"])
            marks = {"title": same(got.get("title"), want["title"]),
                     "author": same(got.get("author"), want["author"]),
                     "date": day(got.get("date")) == day(want["published"]),
                     "snippets": snippets_ok(got.get("text"), want)}
            sums.update({"precision": p, "recall": r, "f1": f, **{k: int(v) for k, v in marks.items()}})
            lines.append({"id": page_id, "system": system, "f1": round(f, 4), "precision": round(p, 4),
                          "recall": round(r, 4), **marks, "title_got": got.get("title"),
                          "author_got": got.get("author"), "date_got": day(got.get("date"))})
        table.append({"system": system, **{k: v / len(gold) for k, v in sums.items()}})
    if details:
        details.write_text("".join(json.dumps(line, default=str) + "\n" for line in lines), "utf-8")
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dev", type=Path, default=REPO / DEFAULT_DEV,
                        help="folder with gold.jsonl and html/ (default: ../shared/html-dev from the repo)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--details", type=Path, help="write per-page scores as JSON lines here")
    args = parser.parse_args(argv)
    if not (args.dev / "gold.jsonl").exists():
        print(f"no gold.jsonl in {args.dev}: pass --dev", file=sys.stderr)
        return 2
    table = score(args.dev, args.workers, args.details)
    print("Pages: WCXB development sample (Murrough Foley, CC-BY-4.0), "
          f"{sum(1 for _ in (args.dev / 'html').glob('*.html.gz'))} pages\n")
    print("| system | text P | text R | text F1 | title | author | date | snippets |")
    print("|---|---|---|---|---|---|---|---|")
    for row in table:
        print(f"| {row['system']} | {row['precision']:.3f} | {row['recall']:.3f} | {row['f1']:.3f} | "
              f"{row['title']:.3f} | {row['author']:.3f} | {row['date']:.3f} | {row['snippets']:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
