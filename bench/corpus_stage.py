#!/usr/bin/env python3
"""Time and peak memory of the corpus-level steps (site template lines, duplicates) alone.

The documents are not put through the per-document steps (those have their own benchmark,
bench/throughput.py): each JSONL row becomes a corpus row as it stands (paragraphs split on
blank lines, source = url host), and the rows go through the real `ReleaseBuilder`: spilled
sorted runs, the corpus stage's passes, the final shards. Prints one JSON object.

    python3 bench/corpus_stage.py bench/out/syndicated-100k.jsonl --workers 2
"""
import argparse
import hashlib
import json
import resource
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from newsclean.options import Options  # noqa: E402
from newsclean.publish.release import ReleaseBuilder  # noqa: E402
from newsclean.publish.repeats import POSITION_FIELD  # noqa: E402
from newsclean.schemas import Corpus, Rejects, Removals, arrow_schema  # noqa: E402

BATCH = 500


def corpus_row(row: dict, provenance: str) -> dict:
    lines = row["text"].replace("\r\n", "\n").split("\n")
    kept = [(n, " ".join(line.split())) for n, line in enumerate(lines, start=1) if line.strip()]
    text = "\n\n".join(t for _, t in kept)
    host = (urlsplit(row.get("url") or "").hostname or "").removeprefix("www.") or None
    return {"id": row["id"], "title": kept[0][1][:80], "text": text, "published": None,
            "published_utc_offset": None, "published_from": None, "author": None, "authors": [],
            "credits": [], "url": row.get("url"), "source": host, "sitename": None, "description": None,
            "tags": [], "fetched": None, "language": "en", "word_count": len(text.split()),
            "content_hash": hashlib.sha256(text.encode("utf-8")).hexdigest(), "removed_lines": 0,
            "paragraph_lines": [n for n, _ in kept], "repairs": [], "duplicate_ids": [],
            "duplicate_sources": [], "duplicate_urls": [], "provenance": provenance}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("jsonl")
    ap.add_argument("--workers", type=int, default=1)
    a = ap.parse_args()
    options = Options(workers=a.workers)
    schema = arrow_schema(Corpus)
    removals = arrow_schema(Removals).empty_table().append_column(POSITION_FIELD, pa.array([], pa.uint64()))

    def batch(rows: list[dict], first: int) -> pa.Table:  # the rows with their input positions
        positions = pa.array(range(first, first + len(rows)), pa.uint64())
        return pa.Table.from_pylist(rows, schema=schema).append_column(POSITION_FIELD, positions)

    rejects = arrow_schema(Rejects).empty_table()
    with tempfile.TemporaryDirectory(dir=Path(a.jsonl).parent) as tmp:
        builder = ReleaseBuilder(Path(tmp) / "dist", options.publish, options.corpus, options.workers)
        started = time.perf_counter()
        rows, read = [], 0
        with open(a.jsonl, encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                rows.append(corpus_row(json.loads(line), f"{Path(a.jsonl).name}:{number}"))
                if len(rows) == BATCH:
                    builder.add(batch(rows, read), removals, rejects)
                    read += len(rows)
                    rows = []
        if rows:
            builder.add(batch(rows, read), removals, rejects)
            read += len(rows)
        staged = time.perf_counter()
        builder.write_tables()
        done = time.perf_counter()
        report = builder.corpus.report
        builder.abandon()
    print(json.dumps({
        "documents": read, "published": builder.counts["published"], "workers": a.workers,
        "read_and_stage_seconds": round(staged - started, 1),
        "corpus_stage_and_shards_seconds": round(done - staged, 1),
        "steps": report.timings, "counts": report.counts() | {"template_lines_by_source": len(
            report.template_lines_by_source)},
        "process_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }, indent=2))


if __name__ == "__main__":
    main()
