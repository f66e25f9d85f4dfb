#!/usr/bin/env python3
"""Throughput benchmark for newsclean (issue 6): the pyarrow copy floor vs. the full pipeline.

    python3 bench/throughput.py                          # 20000 docs, workers 1 and 2, 3 repeats
    python3 bench/throughput.py --docs 2000 --repeat 5 --json
    python3 bench/throughput.py --big-gb 1               # also a >= 1 GB corpus, once, for peak memory

In one run it
  1. generates the corpus with `../shared/bench/make_corpus.py --docs N` (relative to the repo root;
     override with --make-corpus) into bench/out/ (git-ignored); an identical earlier corpus is reused;
  2. measures the floor: the JSONL read and written back as Parquet with pyarrow, no processing
     (streamed in record batches, zstd at the pipeline's default level);
  3. measures `python3 -m newsclean run CORPUS --out bench/out/dist-wN --workers N` for each N, in
     rounds that alternate between the worker counts (the machine's speed drifts);
  4. checks that the outputs of every worker count are byte-identical (sha256 of every file).

Every measurement is a subprocess started from the repo root, timed by wall clock, repeated --repeat
times; medians are reported. Peak memory is the peak of the summed VmRSS of the subprocess and all its
descendants (forkserver, workers), sampled from /proc every ~100 ms (PSS every ~0.5 s); pages shared
between forked processes are counted once per process, so it is an upper bound (PSS divides them).
MB means 2**20 bytes of input JSONL.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_MAKE_CORPUS = "../shared/bench/make_corpus.py"  # relative to the repo root
MB = 1 << 20


def rel(path: Path) -> str:
    """A path as written in reports: relative to the repo root when inside it."""
    path = Path(path).resolve()
    try:
        return str(path.relative_to(REPO))
    except ValueError:
        return os.path.relpath(path, REPO)


# ---------------------------------------------------------------- memory sampling (Linux /proc)

def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                stat = handle.read()
        except OSError:
            continue
        # the command name (field 2) may contain spaces and parentheses: split after the last ")"
        fields = stat[stat.rfind(b")") + 2:].split()
        children.setdefault(int(fields[1]), []).append(int(entry))
    return children


def _field_kib(path: str, key: bytes) -> int:
    try:
        with open(path, "rb") as handle:
            for line in handle:
                if line.startswith(key):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0  # gone, a zombie (no VmRSS line), or not readable


def _children_of(pid: int) -> list[int] | None:
    """Child pids from /proc/<pid>/task/*/children (cheap); None where the kernel lacks the file."""
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    children: list[int] = []
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children", "rb") as handle:
                children.extend(int(c) for c in handle.read().split())
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            continue
    return children


def tree_memory_kib(root: int, pss: bool = True) -> tuple[int, int]:
    """(summed VmRSS, summed Pss) of `root` and all its descendants, in KiB.

    RSS counts pages shared by forked workers once per process (an upper bound); Pss divides
    them among the sharers (closer to what the tree really costs). Pss is 0 where
    /proc/<pid>/smaps_rollup is unavailable."""
    children: dict[int, list[int]] | None = None  # the full /proc scan, only if needed
    rss = proportional = 0
    stack, seen = [root], set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        rss += _field_kib(f"/proc/{pid}/status", b"VmRSS:")
        if pss:
            proportional += _field_kib(f"/proc/{pid}/smaps_rollup", b"Pss:")
        kids = _children_of(pid)
        if kids is None:
            children = children if children is not None else _children_map()
            kids = children.get(pid, [])
        stack.extend(kids)
    return rss, proportional


class PeakRSS(threading.Thread):
    """Samples the summed RSS of a process tree every `interval` seconds until stopped, and its
    summed PSS every `pss_every`-th sample (smaps_rollup walks page tables: the sampler must not
    take a noticeable share of a 2-core machine from the run it measures)."""

    def __init__(self, pid: int, interval: float = 0.1, pss_every: int = 5):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak_kib = 0
        self.peak_pss_kib = 0
        self.samples = 0
        self.pss_every = pss_every
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            rss, pss = tree_memory_kib(self.pid, pss=self.samples % self.pss_every == 0)
            self.peak_kib = max(self.peak_kib, rss)
            self.peak_pss_kib = max(self.peak_pss_kib, pss)
            self.samples += 1
            self._stop_event.wait(self.interval)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def measure(cmd: list[str], label: str) -> dict:
    """Run `cmd` from the repo root; wall time, peak tree RSS, exit code and output tail."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    sampler = PeakRSS(proc.pid)
    sampler.start()
    output, _ = proc.communicate()
    seconds = time.perf_counter() - started
    sampler.stop()
    if proc.returncode != 0:
        raise SystemExit(f"{label} failed (exit {proc.returncode}): {' '.join(cmd)}\n{output}")
    return {"seconds": seconds, "peak_rss_mb": sampler.peak_kib / 1024,
            "peak_pss_mb": sampler.peak_pss_kib / 1024, "rss_samples": sampler.samples,
            "output": output.strip()[-2000:]}


# ---------------------------------------------------------------- corpus

def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def make_corpus(make_script: Path, docs: int, out_dir: Path) -> tuple[Path, int, int]:
    """Generate (or reuse an identical earlier) corpus; returns path, docs, bytes."""
    corpus = out_dir / f"corpus-{docs}.jsonl"
    stamp = corpus.with_suffix(".stamp.json")
    want = {"docs": docs, "make_corpus_sha256": sha256_file(make_script)}
    if corpus.exists() and stamp.exists():
        try:
            have = json.loads(stamp.read_text())
        except ValueError:
            have = None
        if have == {**want, "bytes": corpus.stat().st_size}:
            return corpus, docs, corpus.stat().st_size
    stamp.unlink(missing_ok=True)
    print(f"generating {docs} docs with {rel(make_script)} -> {rel(corpus)}", file=sys.stderr, flush=True)
    subprocess.run([sys.executable, str(make_script), "--docs", str(docs), "--out", str(corpus)],
                   cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    size = corpus.stat().st_size
    stamp.write_text(json.dumps({**want, "bytes": size}))
    return corpus, docs, size


def tree_hashes(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): sha256_file(p) for p in sorted(root.rglob("*")) if p.is_file()}


# ---------------------------------------------------------------- the floor (run in a subprocess)

FLOOR_LEVEL = 3  # PublishOptions().writer_level (tests/test_bench.py); not imported: the floor's
# subprocess would pay for importing the pipeline


def floor_copy(src: str, dst: str, compression: str, level: int) -> None:
    """JSONL -> Parquet with pyarrow only, streamed so memory stays flat on any corpus size."""
    import pyarrow.json as pj
    import pyarrow.parquet as pq

    started = time.perf_counter()
    reader = pj.open_json(src, read_options=pj.ReadOptions(block_size=32 * MB))
    with pq.ParquetWriter(dst, reader.schema, compression=compression,
                          compression_level=level) as writer:
        for batch in reader:
            writer.write_batch(batch)
    print(f"floor copy {time.perf_counter() - started:.3f} s")


# ---------------------------------------------------------------- benchmark

INTERNAL_SECONDS = re.compile(r"(?:floor copy |, )(\d+(?:\.\d+)?) s\)?$", re.MULTILINE)


def internal_seconds(output: str) -> float | None:
    """The time the command reports for its own work (after imports): the pipeline's summary
    line "... (51.3 s)", the floor's "floor copy 0.8 s"."""
    found = INTERNAL_SECONDS.findall(output)
    return float(found[-1]) if found else None


def summarise(runs: list[dict], input_bytes: int, docs: int, workers: int) -> dict:
    seconds = statistics.median(r["seconds"] for r in runs)
    internal = [x for x in (internal_seconds(r["output"]) for r in runs) if x is not None]
    mb_s = input_bytes / MB / seconds
    return {
        "workers": workers,
        "repeats": len(runs),
        "seconds_median": seconds,
        "seconds_all": [round(r["seconds"], 3) for r in runs],
        "mb_per_s": mb_s,
        "mb_per_s_per_core": mb_s / workers,
        "docs_per_s": docs / seconds,
        "internal_seconds_median": statistics.median(internal) if internal else None,
        "internal_mb_per_s_per_core": (input_bytes / MB / statistics.median(internal) / workers
                                       if internal else None),
        "peak_rss_mb_median": statistics.median(r["peak_rss_mb"] for r in runs),
        "peak_rss_mb_max": max(r["peak_rss_mb"] for r in runs),
        "peak_pss_mb_max": max(r["peak_pss_mb"] for r in runs),
    }


def bench_corpus(corpus: Path, docs: int, size: int, out_dir: Path, workers_list: list[int],
                 repeat: int, compression: str, level: int, tag: str) -> dict:
    floor_out = out_dir / f"floor-{tag}.parquet"
    floor_cmd = [sys.executable, rel(Path(__file__)), "_floor", rel(corpus), rel(floor_out),
                 compression, str(level)]
    result: dict = {"corpus": rel(corpus), "docs": docs, "input_bytes": size, "input_mb": size / MB}
    floor_runs = []
    for i in range(repeat):
        floor_out.unlink(missing_ok=True)
        floor_runs.append(measure(floor_cmd, "floor"))
        print(f"  floor        run {i + 1}/{repeat}: {floor_runs[-1]['seconds']:.2f} s", file=sys.stderr,
              flush=True)
    result["floor"] = summarise(floor_runs, size, docs, 1)
    result["floor"]["command"] = " ".join(["python3"] + floor_cmd[1:])
    result["pipeline"] = []
    hashes: dict[int, dict[str, str]] = {}
    deterministic = True
    commands = {}
    runs: dict[int, list[dict]] = {workers: [] for workers in workers_list}
    # Rounds of one run per worker count, not all runs of one count and then the next: the
    # machine's speed drifts (its cores are shared), and alternating gives every count the same
    # conditions on average; each round's own ratio is reported too (`speedup_paired`).
    for i in range(repeat):
        for workers in workers_list:
            dist = out_dir / f"dist-{tag}-w{workers}"
            commands[workers] = [sys.executable, "-m", "newsclean", "run", rel(corpus), "--out", rel(dist),
                                 "--workers", str(workers)]
            shutil.rmtree(dist, ignore_errors=True)
            runs[workers].append(measure(commands[workers], f"pipeline --workers {workers}"))
            print(f"  workers={workers}    run {i + 1}/{repeat}: {runs[workers][-1]['seconds']:.2f} s, "
                  f"peak {runs[workers][-1]['peak_rss_mb']:.0f} MB", file=sys.stderr, flush=True)
            current = tree_hashes(dist)
            if workers in hashes and current != hashes[workers]:
                deterministic = False
            hashes.setdefault(workers, current)
    for workers in workers_list:
        summary = summarise(runs[workers], size, docs, workers)
        summary["ratio_to_floor"] = summary["seconds_median"] / result["floor"]["seconds_median"]
        summary["command"] = " ".join(["python3"] + commands[workers][1:])
        summary["last_output"] = runs[workers][-1]["output"].splitlines()[:3]
        result["pipeline"].append(summary)
    by_workers = {s["workers"]: s for s in result["pipeline"]}
    if 1 in by_workers:
        for s in result["pipeline"]:
            s["speedup_vs_1"] = by_workers[1]["seconds_median"] / s["seconds_median"]
            s["speedup_paired"] = statistics.median(
                one["seconds"] / many["seconds"] for one, many in zip(runs[1], runs[s["workers"]]))
    if len(hashes) > 1:
        first = next(iter(hashes.values()))
        differing = sorted({name for h in hashes.values()
                            for name in set(h) | set(first) if h.get(name) != first.get(name)})
        result["outputs_identical"] = not differing
        result["differing_files"] = differing
        result["files_compared"] = len(first)
    result["repeats_identical"] = deterministic
    return result


def _opt(value: float | None) -> str:
    return f"{value:12.2f}" if value is not None else f"{'-':>12}"


def print_report(result: dict, title: str) -> None:
    print(f"\n== {title}: {result['corpus']}, {result['docs']} docs, {result['input_mb']:.1f} MB "
          f"({result['input_bytes']} bytes), medians of {result['floor']['repeats']} run(s)")
    header = (f"{'':14}{'wall s':>9}{'MB/s':>8}{'MB/s/core':>11}{'docs/s':>9}{'x floor':>9}"
              f"{'speed-up':>10}{'peak RSS MB':>13}{'peak PSS MB':>13}{'internal s':>12}")
    print(header)
    floor = result["floor"]
    print(f"{'floor (arrow)':14}{floor['seconds_median']:9.2f}{floor['mb_per_s']:8.2f}"
          f"{floor['mb_per_s_per_core']:11.2f}{floor['docs_per_s']:9.0f}{1:9.1f}{'':>10}"
          f"{floor['peak_rss_mb_max']:13.0f}{floor['peak_pss_mb_max']:13.0f}{_opt(floor['internal_seconds_median'])}")
    for s in result["pipeline"]:
        speedup = f"{s['speedup_vs_1']:.2f}x" if "speedup_vs_1" in s else ""
        print(f"{'workers=' + str(s['workers']):14}{s['seconds_median']:9.2f}{s['mb_per_s']:8.2f}"
              f"{s['mb_per_s_per_core']:11.2f}{s['docs_per_s']:9.0f}{s['ratio_to_floor']:9.1f}"
              f"{speedup:>10}{s['peak_rss_mb_max']:13.0f}{s['peak_pss_mb_max']:13.0f}{_opt(s['internal_seconds_median'])}")
    print("  (wall s = median subprocess wall time, interpreter start and imports included; internal s "
          "= the time the command reports for its own work;\n   x floor = wall time / floor wall time; "
          "peak RSS / PSS = max over repeats of the summed RSS / PSS of the process tree, RSS every ~100 ms, PSS every ~0.5 s)")
    for s in result["pipeline"]:
        if "speedup_paired" in s and s["workers"] != 1:
            print(f"  speed-up of workers={s['workers']}, median of each round's own ratio "
                  f"(runs alternate between worker counts): {s['speedup_paired']:.2f}x")
    for s in result["pipeline"]:
        print(f"  {s['command']}  ->  {s['last_output'][0] if s['last_output'] else ''}")
    if "outputs_identical" in result:
        verdict = "IDENTICAL" if result["outputs_identical"] else "DIFFERENT"
        print(f"  outputs of workers={','.join(str(s['workers']) for s in result['pipeline'])}: {verdict} "
              f"(sha256 of {result['files_compared']} files)")
        for name in result["differing_files"][:20]:
            print(f"    differs: {name}")
    print(f"  repeated runs byte-identical: {result['repeats_identical']}")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_floor"]:  # internal: the floor, timed from outside as a subprocess
        src, dst, compression, level = argv[1:5]
        floor_copy(src, dst, compression, int(level))
        return 0
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=20000, help="documents in the corpus (default 20000)")
    parser.add_argument("--make-corpus", default=DEFAULT_MAKE_CORPUS,
                        help=f"corpus generator, relative to the repo root (default {DEFAULT_MAKE_CORPUS})")
    parser.add_argument("--out-dir", default="bench/out", help="work folder (default bench/out, git-ignored)")
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts (default 1,2)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per measurement; medians reported")
    parser.add_argument("--compression", default="zstd", help="floor Parquet codec (default zstd)")
    parser.add_argument("--compression-level", type=int, default=FLOOR_LEVEL,
                        help=f"floor codec level (default {FLOOR_LEVEL}, the pipeline's default)")
    parser.add_argument("--big-gb", type=float, default=0.0, metavar="X",
                        help="also build a corpus of at least X GB (10**9 bytes) and run it once per "
                        "--big-workers, to show peak memory stays bounded (slow)")
    parser.add_argument("--big-workers", default="2", help="worker counts for the big corpus (default 2)")
    parser.add_argument("--skip-main", action="store_true", help="with --big-gb: only the big corpus")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    args = parser.parse_args(argv)

    make_script = (REPO / args.make_corpus).resolve()
    if not make_script.exists():
        parser.error(f"corpus generator not found: {args.make_corpus} (relative to the repo root)")
    out_dir = (REPO / args.out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    workers_list = [int(w) for w in args.workers.split(",") if w.strip()]
    report: dict = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "mb": "2**20 bytes of input JSONL",
    }
    if not args.skip_main:
        corpus, docs, size = make_corpus(make_script, args.docs, out_dir)
        print(f"benchmark: {rel(corpus)}", file=sys.stderr, flush=True)
        report["main"] = bench_corpus(corpus, docs, size, out_dir, workers_list, args.repeat,
                                      args.compression, args.compression_level, tag=str(docs))
    if args.big_gb > 0:
        # size per document from a small sample of the same generator (deterministic)
        sample, sample_docs, sample_size = make_corpus(make_script, min(args.docs, 2000), out_dir)
        big_docs = math.ceil(args.big_gb * 1e9 / (sample_size / sample_docs) * 1.02)
        corpus, docs, size = make_corpus(make_script, big_docs, out_dir)
        print(f"big corpus: {rel(corpus)}, {size / 1e9:.2f} GB", file=sys.stderr, flush=True)
        big = bench_corpus(corpus, docs, size, out_dir,
                           [int(w) for w in args.big_workers.split(",") if w.strip()], 1,
                           args.compression, args.compression_level, tag=str(docs))
        big["peak_rss_under_500_mb"] = all(s["peak_rss_mb_max"] < 500 for s in big["pipeline"])
        big["peak_pss_under_500_mb"] = all(s["peak_pss_mb_max"] < 500 for s in big["pipeline"])
        report["big"] = big
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(f"machine: {report['machine']['cpus']} CPUs, Python {report['machine']['python']}; "
              f"MB = 2**20 bytes of input")
        if "main" in report:
            print_report(report["main"], "benchmark")
        if "big" in report:
            print_report(report["big"], "big corpus (memory bound)")
            print(f"  peak RSS under 500 MB: {report['big']['peak_rss_under_500_mb']}; "
                  f"peak PSS under 500 MB: {report['big']['peak_pss_under_500_mb']}")
    identical = all(r.get("outputs_identical", True) and r["repeats_identical"]
                    for k, r in report.items() if k in ("main", "big"))
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
