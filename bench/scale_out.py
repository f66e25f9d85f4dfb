#!/usr/bin/env python3
"""Scaling of `newsclean run` on this machine: 1 vs 2 CPUs, `--engine local` vs `--engine ray`.

    python3 bench/scale_out.py --docs 20000                   # the timing matrix
    python3 bench/scale_out.py --docs 100000 --identity-only  # local vs Ray, reversed input order: same bytes?

The corpus comes from ../shared/bench/make_corpus.py, split into --files JSON Lines files so that
the input order can be reversed. Each run is `python3 -m newsclean run` in a subprocess, pinned to
the first N CPUs with `taskset`; a Ray run joins a Ray node started for it (`ray start --head
--num-cpus N`, pinned the same way) with `--address`, and uses N actors (`--workers N`). Wall
time and the peak RSS of the newsclean process (GNU time; Ray's own processes are not counted)
are printed as JSON, with whether every published file equals the local 1-CPU run's.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def make_inputs(docs: int, files: int, folder: Path, make_corpus: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    whole = folder / f"corpus-{docs}.jsonl"
    if not whole.exists():
        subprocess.run([sys.executable, str(make_corpus), "--docs", str(docs), "--out", str(whole)], check=True)
    lines = whole.read_bytes().splitlines(keepends=True)
    parts = []
    for number in range(files):
        part = folder / f"part-{docs}-{number}.jsonl"
        part.write_bytes(b"".join(lines[number::files]))
        parts.append(part)
    return parts


def release_digest(out: Path) -> dict[str, str]:
    return {p.relative_to(out).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*")) if p.is_file()}


def timed_run(inputs: list[Path], out: Path, cpus: int, engine: str, address: str | None) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    command = ["taskset", "-c", f"0-{cpus - 1}", "/usr/bin/time", "-f", "%M", sys.executable, "-m",
               "newsclean", "-q", "run", *map(str, inputs), "--out", str(out), "--workers", str(cpus),
               "--engine", engine]
    if address:
        command += ["--address", address]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr}")
    peak_kb = int(done.stderr.strip().splitlines()[-1])
    return {"engine": engine, "cpus": cpus, "seconds": round(seconds, 1), "peak_rss_mb": round(peak_kb / 1024)}


# Ray's CLI under this interpreter: the node's workers then import the newsclean the driver runs
# (the `ray` on PATH may belong to another environment, whose newsclean is another version)
RAY_CLI = [sys.executable, "-m", "ray.scripts.scripts"]


class RayNode:
    """A Ray head node on the first `cpus` CPUs, stopped on exit. `ray stop` stops every Ray node
    of this machine: do not run this beside someone else's Ray."""

    def __init__(self, cpus: int):
        self.cpus = cpus

    def __enter__(self) -> str:
        subprocess.run(["taskset", "-c", f"0-{self.cpus - 1}", *RAY_CLI, "start", "--head", "--num-cpus",
                        str(self.cpus), "--include-dashboard=false", "--disable-usage-stats"],
                       check=True, capture_output=True)
        return "auto"

    def __exit__(self, *exc) -> None:
        subprocess.run([*RAY_CLI, "stop", "--force"], capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=20000)
    parser.add_argument("--files", type=int, default=4, help="input files the corpus is split into")
    parser.add_argument("--cpus", default="1,2", help="CPU counts to pin the runs to")
    parser.add_argument("--identity-only", action="store_true",
                        help="only local (2 CPUs, files in order) against Ray (2 CPUs, files reversed)")
    parser.add_argument("--work", default="bench/out/scale-out", help="work folder (git-ignored)")
    parser.add_argument("--make-corpus", default=str(REPO.parent / "shared" / "bench" / "make_corpus.py"))
    args = parser.parse_args()
    work = (REPO / args.work).resolve()
    inputs = make_inputs(args.docs, args.files, work, Path(args.make_corpus))
    results, reference = [], None
    if args.identity_only:
        plan = [("local", 2, inputs), ("ray", 2, inputs[::-1])]
    else:
        plan = [(engine, int(cpus), inputs) for cpus in args.cpus.split(",") for engine in ("local", "ray")]
    for engine, cpus, order in plan:
        out = work / f"dist-{engine}-{cpus}"
        if engine == "ray":
            with RayNode(cpus) as address:
                result = timed_run(order, out, cpus, engine, address)
        else:
            result = timed_run(order, out, cpus, engine, None)
        digest = release_digest(out)
        reference = reference or digest
        result.update(docs=args.docs, input_order="reversed" if order != inputs else "given",
                      same_bytes_as_first=digest == reference, files=len(digest),
                      input_mb=round(sum(p.stat().st_size for p in inputs) / 2**20, 1),
                      load_average_1min=os.getloadavg()[0])
        results.append(result)
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
