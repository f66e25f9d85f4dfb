#!/usr/bin/env python3
"""The publish check of a release's data shards in the driver against Ray tasks, on one local Ray.

    python3 bench/publish_check.py --docs 20000 [--repeat 3] [--cpus 2] [--shard-rows N]

Builds a release of a corpus from ../shared/bench/make_corpus.py with the local engine, then
times, alternating, `validate_files` as `ReleaseBuilder.publish` runs it (the side tables'
reports given, as their shard tasks give them; the manifest checked either way): the driver's
loop over the data shards (`recheck` = the rows with template removals) against
`engines.ray_checks`' tasks (`data_checks=`); prints wall and CPU seconds of this process and
whether the reports are the same.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import shutil
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cpus", type=int, default=2)
    parser.add_argument("--shard-rows", type=int, default=2_000)
    args = parser.parse_args()
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq
    import ray

    from newsclean import run
    from newsclean.corpus.templates import FAMILY
    from newsclean.engines.ray_checks import checked_by_tasks
    from newsclean.options import Options
    from newsclean.publish.release import SIDE
    from newsclean.publish.validate import validate_audit_tables, validate_files

    root = Path(tempfile.mkdtemp(prefix="publish-check-"))
    try:
        corpus, out = root / "corpus.jsonl", root / "release"
        subprocess.run([sys.executable, str(REPO.parent / "shared" / "bench" / "make_corpus.py"),
                        "--docs", str(args.docs), "--out", str(corpus)], check=True, capture_output=True)
        options = Options()
        run([corpus], out, dataclasses.replace(options, publish=dataclasses.replace(options.publish,
                                                                                    shard_rows=args.shard_rows)))
        removals = pa.concat_tables(pq.read_table(p, columns=["id", "family"])
                                    for p in sorted((out / "removals").glob("*.parquet")))
        rewritten = pc.unique(removals["id"].filter(pc.equal(removals["family"], FAMILY)))
        checked = validate_audit_tables(out, SIDE)  # as the side tables' writers give them (not timed)
        ray.init(num_cpus=args.cpus, include_dashboard=False)
        checks = {"driver": lambda: validate_files(out, recheck=rewritten, checked=checked),
                  "tasks": lambda: validate_files(out, checked=checked,
                                                  data_checks=partial(checked_by_tasks, str(out), FAMILY))}
        reports = {}
        for round_ in range(args.repeat):
            for name, check in checks.items():
                wall, cpu = time.perf_counter(), time.process_time()
                report = check()
                print(json.dumps({"check": name, "round": round_, "wall_s": round(time.perf_counter() - wall, 2),
                                  "cpu_s": round(time.process_time() - cpu, 2), "valid": report.ok,
                                  "shards": len(list((out / "data").glob("*.parquet"))),
                                  "rechecked_ids": len(rewritten)}), flush=True)
                reports.setdefault(name, report.to_json())
        print(json.dumps({"same_report": reports["driver"] == reports["tasks"]}))
    finally:
        ray.shutdown()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
