#!/usr/bin/env python3
"""The Ray engine's corpus tasks against the driver doing the same steps, on one local Ray.

    python3 bench/ray_corpus_tasks.py --docs 10000 [--repeat 2] [--cpus 2] [--shard-rows N]
                                      [--copies SHARE] [--only fold|check]

Runs `newsclean.run` with `RayEngine()` (template counting, pass 2 by id ranges, copy linking and
the data shards as Ray tasks) and with `RayEngine(count_templates_in_tasks=False,
link_copies_in_tasks=False, write_shards_in_tasks=False, clean_ranges_in_tasks=False)` (all four
in the driver), alternating, on a corpus from ../shared/bench/make_corpus.py; prints each run's
wall time and the corpus stage's `templates.count`, pass 2 (`stream (apply + sign, wall)`),
`dedup.cluster`, `dedup.fold` (the data shards) and, with the tasks, `side tables` seconds and
peak RSS (this process), and whether the releases are the same bytes (each run has its own output and units).

`--copies SHARE`: that share of the documents gets an exact copy and a near copy (a sentence added)
under new ids, so that pass 3 has clusters to fold. `--only fold`: `RayEngine()` against
`RayEngine(fold_copies_in_tasks=False)` (components, canonical rows and fold in the driver), all
else the same; `--only check`: against `RayEngine(check_release_in_tasks=False)` (the publish
check of the data shards in the driver; `bench/publish_check.py` times the check alone).
"""
from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def digest(out: Path) -> dict[str, str]:
    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*")) if p.is_file()}


def add_copies(corpus: Path, share: float) -> None:
    """An exact and a near copy (a sentence added) of every 1/share-th document, under new ids."""
    lines = corpus.read_text(encoding="utf-8").splitlines()
    step = max(1, round(1 / share))
    with corpus.open("a", encoding="utf-8") as out:
        for n, line in enumerate(lines[::step]):
            row = json.loads(line)
            out.write(json.dumps({**row, "id": f"copy-exact-{n:07d}"}) + "\n")
            out.write(json.dumps({**row, "id": f"copy-near-{n:07d}",
                                  "text": row["text"] + "\n\nAn editor added this sentence."}) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--cpus", type=int, default=2)
    parser.add_argument("--shard-rows", type=int, default=None, help="rows per data shard (default: the options')")
    parser.add_argument("--copies", type=float, default=0.0, help="share of documents given an exact and a near copy")
    parser.add_argument("--only", choices=["fold", "check"], help="compare only this step in tasks against the driver")
    args = parser.parse_args()
    import ray

    from newsclean import run
    from newsclean.engines import RayEngine
    from newsclean.options import Options

    root = Path(tempfile.mkdtemp(prefix="ray-corpus-tasks-"))
    corpus = root / "corpus.jsonl"
    subprocess.run([sys.executable, str(REPO.parent / "shared" / "bench" / "make_corpus.py"),
                    "--docs", str(args.docs), "--out", str(corpus)], check=True, capture_output=True)
    if args.copies:
        add_copies(corpus, args.copies)
    ray.init(num_cpus=args.cpus, include_dashboard=False)
    driver = {"fold": RayEngine(fold_copies_in_tasks=False), "check": RayEngine(check_release_in_tasks=False),
              None: RayEngine(count_templates_in_tasks=False, link_copies_in_tasks=False, write_shards_in_tasks=False,
                              clean_ranges_in_tasks=False, fold_copies_in_tasks=False,
                              check_release_in_tasks=False)}[args.only]
    engines = {"tasks": RayEngine(), "driver": driver}
    options = Options()
    if args.shard_rows:
        options = dataclasses.replace(options, publish=dataclasses.replace(options.publish, shard_rows=args.shard_rows))
    digests = {}
    try:
        for round_ in range(args.repeat):
            for name, engine in engines.items():
                out = root / f"{name}-{round_}"
                started = time.perf_counter()
                summary = run([corpus], out, options, engine=engine)
                timings = summary.corpus.timings
                print(json.dumps({"run": name, "round": round_, "wall_s": round(time.perf_counter() - started, 1),
                                  "templates.count": timings.get("templates.count"),
                                  "pass 2": timings.get("stream (apply + sign, wall)"),
                                  "dedup.cluster": timings.get("dedup.cluster"),
                                  "dedup.fold": timings.get("dedup.fold"),
                                  "side tables": timings.get("side tables"),
                                  "counts": {k: v for k, v in summary.corpus.counts().items()
                                             if k != "template_lines_by_source"}}), flush=True)
                digests.setdefault(name, digest(out))
        print(json.dumps({"same_bytes": digests["tasks"] == digests["driver"], "files": len(digests["tasks"])}))
    finally:
        ray.shutdown()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
