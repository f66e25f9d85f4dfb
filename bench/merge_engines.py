#!/usr/bin/env python3
"""The release's merge of sorted runs, hand-built against two libraries (issue 18: "let the engines
carry the plumbing"). Kept because the libraries lost; run it again when they change.

    python3 bench/merge_engines.py                        # 20,000 documents, 3 rounds
    python3 bench/merge_engines.py --docs 100000 --rounds 2 --memory 512MB

It stages the sorted runs of a real run (`newsclean run` on ../shared/bench/make_corpus.py's
corpus, stopped once its runs are spilled), then merges each table's runs, every variant in a
subprocess of its own and the variants in alternating rounds (the machine's speed drifts):

  handmade  `shards.reduce_runs` then `shards.merge_runs`, as the release does: a k-way merge of
            the runs, which are sorted already, holding one batch per run
  duckdb    one `ORDER BY keys, run number, row in run` over `read_parquet(..., filename=true,
            file_row_number=true)`, streamed out as Arrow record batches (memory_limit,
            temp_directory beside the runs, one thread): DuckDB sorts; it does not merge
  arrow     per id range (quantiles of the first run's ids), the range's rows of every run in run
            order, sorted by `pa.Table.sort_by` (stable)

Every variant writes what it merged to a Parquet file; the rows and their order must equal the
hand-built merge's (ties: run by run, then in run order). Reported: seconds and peak RSS of the
subprocess (VmHWM; `base` is the peak after the imports, before the merge).
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VARIANTS = ("handmade", "duckdb", "arrow")


def stage(corpus: str, runs_out: str) -> None:
    """`newsclean run CORPUS` until its runs are spilled; the runs copied to `runs_out`."""
    from newsclean.cli import main
    from newsclean.publish import release

    class Staged(BaseException):
        """Stops the run once the runs are copied (the staging folder is removed as on Ctrl-C)."""

    def write_tables(builder: release.ReleaseBuilder) -> list[dict]:
        builder.runs.spill()
        shutil.copytree(builder.runs_dir, runs_out)
        listed = {kind: [Path(run).name for run in runs] for kind, runs in builder.runs.paths.items()}
        (Path(runs_out) / "runs.json").write_text(json.dumps(listed))
        raise Staged

    release.ReleaseBuilder.write_tables = write_tables
    try:
        main(["run", corpus, "--out", str(Path(runs_out).parent / "dist")])
    except Staged:
        pass


def merge(variant: str, kind: str, runs_dir: str, out: str, memory: str, ranges: int) -> None:
    """One variant's merge of one table's runs, written to `out`; prints its measures as JSON."""
    import pyarrow.parquet as pq

    from newsclean.publish.runs import KEYS

    folder = Path(runs_dir)
    runs = [folder / name for name in json.loads((folder / "runs.json").read_text())[kind]]
    keys, schema = KEYS[kind], pq.read_schema(runs[0])
    import duckdb  # noqa: F401  (every variant pays the same imports)
    base = _peak_mb()
    started, rows = time.perf_counter(), 0
    with pq.ParquetWriter(out, schema) as writer:
        for table in {"handmade": _handmade, "duckdb": _duckdb, "arrow": _arrow}[variant](
                runs, keys, schema, memory=memory, ranges=ranges):
            rows += table.num_rows
            writer.write_table(table.cast(schema))
    seconds = time.perf_counter() - started
    print(json.dumps({"seconds": seconds, "rows": rows, "runs": len(runs), "base_mb": base,
                      "peak_rss_mb": _peak_mb()}))


def _peak_mb() -> float:
    """This process's peak RSS (VmHWM: unlike ru_maxrss, not carried over from the parent by exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status (Linux only)")


def _handmade(runs, keys, schema, **_):
    from newsclean.publish import shards
    from newsclean.publish.runs import RUN_OPTIONS
    yield from shards.merge_runs(shards.reduce_runs(runs, keys, schema, RUN_OPTIONS), keys, schema)


def _duckdb(runs, keys, schema, memory, **_):
    import duckdb
    import pyarrow as pa

    files = [str(run) for run in runs]
    order = ", ".join(f'"{key}"' for key in keys)
    query = ("SELECT * EXCLUDE (filename, file_row_number) FROM read_parquet($files, filename=true, "
             f"file_row_number=true) ORDER BY {order}, list_position($files, filename), file_row_number")
    config = {"memory_limit": memory, "threads": 1, "temp_directory": str(runs[0].parent / ".duckdb"),
              "preserve_insertion_order": False}
    with duckdb.connect(config=config) as con:
        for batch in con.sql(query, params={"files": files}).to_arrow_reader(4096):
            yield pa.Table.from_batches([batch])


def _arrow(runs, keys, schema, ranges, **_):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from newsclean.publish import shards

    ids = pq.read_table(runs[0], columns=["id"])["id"]
    bounds = [None, *(ids[len(ids) * i // ranges].as_py() for i in range(1, ranges)), None]
    for low, high in zip(bounds, bounds[1:]):
        parts = [schema.empty_table()]
        for run in runs:  # the range's row groups only (their id statistics), then its rows
            file = pq.ParquetFile(run)
            groups = shards.groups_in(file, (low, high))
            if groups:
                parts.append(shards.in_id_range(file.read_row_groups(groups, use_threads=False), (low, high)))
        yield pa.concat_tables(parts).sort_by([(key, "ascending") for key in keys])


def _same_rows(a: str, b: str) -> bool:
    import pyarrow.parquet as pq
    left, right = pq.ParquetFile(a), pq.ParquetFile(b)
    if left.metadata.num_rows != right.metadata.num_rows:
        return False
    return all(x.equals(y) for x, y in zip(left.iter_batches(batch_size=4096), right.iter_batches(batch_size=4096)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=20_000, help="documents in the corpus (default 20000)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of every variant; medians reported")
    parser.add_argument("--memory", default="512MB", help="DuckDB's memory_limit (256MB fails at 100,000 docs)")
    parser.add_argument("--ranges", type=int, default=8, help="id ranges of the arrow variant")
    parser.add_argument("--tables", default="data,removals", help="which tables' runs to merge")
    parser.add_argument("--out-dir", default="bench/out/merge", help="work folder (git-ignored)")
    args = parser.parse_args()
    work = REPO / args.out_dir
    corpus = work / f"corpus-{args.docs}.jsonl"
    runs = work / f"runs-{args.docs}"
    if not (runs / "runs.json").exists():
        work.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, str(REPO.parent / "shared/bench/make_corpus.py"), "--docs", str(args.docs),
                        "--out", str(corpus)], check=True, stdout=subprocess.DEVNULL)
        shutil.rmtree(runs, ignore_errors=True)
        subprocess.run([sys.executable, __file__, "_stage", str(corpus), str(runs)], cwd=REPO, check=True)
    results: dict = {}
    for kind in args.tables.split(","):
        for _ in range(args.rounds):
            for variant in VARIANTS:
                copy = work / "merging"  # `reduce_runs` deletes the runs it merged: a fresh copy each time
                shutil.rmtree(copy, ignore_errors=True)
                shutil.copytree(runs, copy)
                out = work / f"merged-{kind}-{variant}.parquet"
                done = subprocess.run([sys.executable, __file__, "_merge", variant, kind, str(copy), str(out),
                                       args.memory, str(args.ranges)], cwd=REPO, capture_output=True, text=True)
                if done.returncode:
                    lines = done.stderr.strip().splitlines() or ["(no output)"]
                    error = next((line for line in reversed(lines) if "Error" in line), lines[-1])
                    results.setdefault((kind, variant), []).append({"failed": error})
                    continue
                measured = json.loads(done.stdout.strip().splitlines()[-1])
                measured["same"] = _same_rows(str(work / f"merged-{kind}-handmade.parquet"), str(out))
                results.setdefault((kind, variant), []).append(measured)
    print(f"{'table':9} {'variant':9} {'runs':>4} {'rows':>9} {'seconds':>8} {'base MB':>8} {'peak MB':>8}  same rows")
    for (kind, variant), measures in results.items():
        good = [m for m in measures if "failed" not in m]
        if not good:
            print(f"{kind:9} {variant:9} failed: {measures[0]['failed']}")
            continue
        med = {key: statistics.median(m[key] for m in good) for key in ("seconds", "base_mb", "peak_rss_mb")}
        print(f"{kind:9} {variant:9} {good[0]['runs']:>4} {good[0]['rows']:>9} {med['seconds']:>8.2f} "
              f"{med['base_mb']:>8.0f} {med['peak_rss_mb']:>8.0f}  {all(m['same'] for m in good)}")
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["_stage"]:
        stage(*sys.argv[2:4])
    elif sys.argv[1:2] == ["_merge"]:
        merge(*sys.argv[2:6], memory=sys.argv[6], ranges=int(sys.argv[7]))
    else:
        sys.exit(main())
