"""Score the HTML path against trafilatura on real article pages with ground truth.

    python3 bench/score_html.py [--dev ../shared/html-dev] [--workers N] [--details FILE]

The pages are the development sample of WCXB, the Web Content Extraction Benchmark (Murrough
Foley, CC-BY-4.0; see LICENSE-WCXB beside them). Text is scored as WCXB does: bag-of-words
precision / recall / F1 over lower-cased \\w+ tokens of `main_content`, averaged over pages (a
page with no output scores 0). Title and author: exact match after folding runs of spaces; date:
the calendar day; a field the gold leaves empty must come out empty. "snippets": share of pages
where every `with` snippet is in the text and no `without` snippet is.

Rows (every trafilatura row is `bare_extraction(html, include_comments=False, with_metadata=True)`,
its defaults without reader comments, which the gold never holds):
  trafilatura                  as above
  trafilatura favor_recall     the same with favor_recall=True
  trafilatura favor_precision  the same with favor_precision=True
  newsclean                    `run` over the page files, read back from the corpus
"ms/page" is the CPU time one page costs in a worker: trafilatura's call, and newsclean's
document steps (extraction, cleaning, metadata) on the same page in the same worker. Below the
table: the share of pages on which each newsclean extraction path was chosen (the document's
`extracted_by` column of the corpus), and newsclean's rejects by reason. No system is given the page's url (saved
.html files do not carry it). `--details FILE` writes one JSON line per page and system.
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

from newsclean import run  # noqa: E402
from newsclean.options import Options  # noqa: E402

DEFAULT_DEV = Path("..") / "shared" / "html-dev"  # relative to the repo
TOKEN = re.compile(r"\w+")
SPACES = re.compile(r"\s+")
BATCH_DOCS = 4  # small batches spread the pages over the workers (the default 500 is one batch)
TRAFILATURA = {"trafilatura": {}, "trafilatura favor_recall": {"favor_recall": True},
               "trafilatura favor_precision": {"favor_precision": True}}
NEWSCLEAN = "newsclean"
SYSTEMS = [*TRAFILATURA, NEWSCLEAN]


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


def _warm() -> None:
    """Load what each process loads once (models, rules), so that no page pays for it."""
    from newsclean.warm import warm

    warm()


def _page(job: tuple[str, str]) -> tuple[str, dict, dict]:
    """(page id, {trafilatura row: fields}, {system: CPU seconds}) for one page."""
    import trafilatura

    from newsclean.document import Document
    from newsclean.steps import apply_steps, document_steps

    page_id, path = job
    html = gzip.open(path).read().decode("utf-8")
    outputs, costs = {}, {}
    for system, flags in TRAFILATURA.items():
        started = time.process_time()
        doc = trafilatura.bare_extraction(html, include_comments=False, with_metadata=True, **flags)
        costs[system] = time.process_time() - started
        outputs[system] = {"text": doc.text if doc else None, "title": doc.title if doc else None,
                           "author": doc.author if doc else None, "date": doc.date if doc else None}
    page = Document(id=page_id, raw="", provenance=path, html=html)
    started = time.process_time()
    page = apply_steps(page, document_steps(Options()))
    costs[NEWSCLEAN] = time.process_time() - started
    return page_id, outputs, costs


def _newsclean(html_dir: Path, workers: int) -> tuple[dict[str, dict], Counter]:
    """The published rows by page id, and the rejects by reason. The corpus folds exact and near
    copies into one row (WCXB holds a few pages twice): a folded page is scored on that row."""
    import pyarrow.parquet as pq

    with tempfile.TemporaryDirectory() as tmp:
        summary = run([html_dir], Path(tmp) / "out", Options(workers=workers, batch_docs=BATCH_DOCS))
        print(summary.to_text(), file=sys.stderr)
        rows = pq.read_table(Path(tmp) / "out" / "data").to_pylist()
        rejected = pq.read_table(Path(tmp) / "out" / "rejects").to_pylist()
    outputs = {}
    for row in rows:  # a page folded into a copy of it (duplicate_ids) gets the copy's output
        fields = {"text": row["text"], "title": row["title"], "author": row["author"], "date": row["published"],
                  "path": row["extracted_by"] or "none"}
        outputs.update({page_id: fields for page_id in [row["id"], *row["duplicate_ids"]]})
    for row in rejected:
        outputs[row["id"]] = {"path": f"rejected: {row['reason']}"}
    return outputs, Counter(row["reason"] for row in rejected)


def score(dev: Path, workers: int, details: Path | None) -> dict:
    lines = filter(None, (dev / "gold.jsonl").read_text("utf-8").split("\n"))  # U+2028 in strings
    gold = {g["id"]: g for g in map(json.loads, lines)}
    started = time.perf_counter()
    jobs = [(page_id, str(dev / "html" / f"{page_id}.html.gz")) for page_id in sorted(gold)]
    with ProcessPoolExecutor(max_workers=workers, initializer=_warm) as pool:
        results = list(pool.map(_page, jobs, chunksize=4))
    print(f"per-page runs: {time.perf_counter() - started:.0f} s", file=sys.stderr)
    outputs = {page_id: systems for page_id, systems, _ in results}
    costs = {page_id: cost for page_id, _, cost in results}
    started = time.perf_counter()
    ours, rejects = _newsclean(dev / "html", workers)
    print(f"newsclean run: {time.perf_counter() - started:.0f} s", file=sys.stderr)
    for page_id in gold:
        outputs[page_id][NEWSCLEAN] = ours.get(page_id, {})  # rejected page: no output

    table, detail_lines = [], []
    for system in SYSTEMS:
        sums = Counter()
        for page_id, want in sorted(gold.items()):
            got = outputs[page_id][system]
            p, r, f = text_scores(got.get("text"), want["main_content"])
            marks = {"title": same(got.get("title"), want["title"]),
                     "author": same(got.get("author"), want["author"]),
                     "date": day(got.get("date")) == day(want["published"]),
                     "snippets": snippets_ok(got.get("text"), want)}
            sums.update({"precision": p, "recall": r, "f1": f, "seconds": costs[page_id][system],
                         **{k: int(v) for k, v in marks.items()}})
            detail_lines.append({
                "id": page_id, "system": system, "f1": round(f, 4), "precision": round(p, 4),
                "recall": round(r, 4), **marks, "path": got.get("path") if system == NEWSCLEAN else None,
                "title_got": got.get("title"), "title_gold": want["title"], "author_got": got.get("author"),
                "author_gold": want["author"], "date_got": day(got.get("date")),
                "date_gold": day(want["published"]), "ms": round(1000 * costs[page_id][system], 1)})
        table.append({"system": system, **{k: v / len(gold) for k, v in sums.items()}})
    if details:
        details.write_text("".join(json.dumps(line, default=str) + "\n" for line in detail_lines), "utf-8")
    paths = Counter(outputs[page_id][NEWSCLEAN].get("path", "missing") for page_id in gold)
    return {"table": table, "paths": paths, "rejects": rejects, "pages": len(gold)}


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
    result = score(args.dev, args.workers, args.details)
    print(f"Pages: WCXB development sample (Murrough Foley, CC-BY-4.0), {result['pages']} pages\n")
    print("| system | text P | text R | text F1 | title | author | date | snippets | ms/page |")
    print("|---|---|---|---|---|---|---|---|---|")
    for row in result["table"]:
        print(f"| {row['system']} | {row['precision']:.3f} | {row['recall']:.3f} | {row['f1']:.3f} | "
              f"{row['title']:.3f} | {row['author']:.3f} | {row['date']:.3f} | {row['snippets']:.3f} | "
              f"{1000 * row['seconds']:.0f} |")
    print("\nnewsclean extraction path (share of pages): " + ", ".join(
        f"{path} {count / result['pages']:.3f}" for path, count in sorted(result["paths"].items())))
    print("newsclean rejects: " + (", ".join(f"{reason} {count}" for reason, count
                                             in sorted(result["rejects"].items())) or "none"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
