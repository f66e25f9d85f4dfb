#!/usr/bin/env python3
"""The Ray engine's corpus tasks against the driver doing the same steps, on one local Ray.

    python3 bench/ray_corpus_tasks.py --docs 10000 [--repeat 2] [--cpus 2] [--shard-rows N]

Runs `newsclean.run` with `RayEngine()` (template counting, pass 2 by id ranges, copy linking and
the data shards as Ray tasks) and with `RayEngine(count_templates_in_tasks=False,
link_copies_in_tasks=False, write_shards_in_tasks=False, clean_ranges_in_tasks=False)` (all four
in the driver), alternating, on a corpus from ../shared/bench/make_corpus.py; prints each run's
wall time and the corpus stage's `templates.count`, pass 2 (`stream (apply + sign, wall)`),
`dedup.cluster`, `dedup.fold` (the data shards) and, with the tasks, `side tables` seconds and
peak RSS (this process), and whether the releases are the same bytes (each run has its own output and units).
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--cpus", type=int, default=2)
    parser.add_argument("--shard-rows", type=int, default=None, help="rows per data shard (default: the options')")
    args = parser.parse_args()
    import ray

    from newsclean import run
    from newsclean.engines import RayEngine
    from newsclean.options import Options

    root = Path(tempfile.mkdtemp(prefix="ray-corpus-tasks-"))
    corpus = root / "corpus.jsonl"
    subprocess.run([sys.executable, str(REPO.parent / "shared" / "bench" / "make_corpus.py"),
                    "--docs", str(args.docs), "--out", str(corpus)], check=True, capture_output=True)
    ray.init(num_cpus=args.cpus, include_dashboard=False)
    engines = {"tasks": RayEngine(), "driver": RayEngine(count_templates_in_tasks=False, link_copies_in_tasks=False,
                                                           write_shards_in_tasks=False, clean_ranges_in_tasks=False)}
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
