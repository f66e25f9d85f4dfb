#!/usr/bin/env python3
"""The side tables' shard plan timed in one process: one `newsclean run` with the local engine
given the shard functions the Ray engine runs in tasks (`publish/side_shards.py`), each table's
plan timed (with this version's plan by id ranges, each round apart: the counts, the starts),
then its shards written one after another. The removals' plan rate of docs/scale-out.md's 10 TB
projection comes from it.

    python3 bench/side_plan.py FILE... [--out bench/out/side-plan] [--range-rows N]

An older checkout (one plan pass per table) is timed by putting its package first on the path.
"""
from __future__ import annotations

import argparse
import dataclasses
import shutil
import time
from pathlib import Path


def timed_calls(times: list[tuple[str, int, float]]):
    """The in-process `RangeCalls`, each round's tasks and running time recorded."""
    def calls(function, jobs: list[tuple]) -> list:
        started = time.perf_counter()
        results = [function(*job) for job in jobs]
        times.append((function.__name__, len(jobs), time.perf_counter() - started))
        return results
    return calls


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inputs", nargs="+")
    parser.add_argument("--out", default="bench/out/side-plan", help="the release (replaced; git-ignored)")
    parser.add_argument("--range-rows", type=int, default=None,
                        help="side-table rows a plan range is cut for (default: side_shards.SIDE_RANGE_ROWS)")
    args = parser.parse_args()

    from newsclean import run
    from newsclean.engines import LocalEngine
    from newsclean.options import Options
    from newsclean.publish import side_shards
    from newsclean.publish.data_shards import ShardTasks, write_data_shard

    if args.range_rows is not None:
        side_shards.SIDE_RANGE_ROWS = args.range_rows
    report: list[str] = []

    def data(shards, source, folder, options):
        return [write_data_shard(shard, source, str(folder), options) for shard in shards]

    def side(tables, staging, options):
        results = {}
        for table in tables:
            rounds: list[tuple[str, int, float]] = []
            started = time.perf_counter()
            if hasattr(side_shards, "plan_side_tables"):  # this version: by id ranges
                plan = side_shards.plan_side_tables([table], options.shard_rows, timed_calls(rounds))[0]
            else:  # an older one: one pass over the merged table
                plan = side_shards.plan_side_shards(table, options.shard_rows)
            planned = time.perf_counter() - started
            started = time.perf_counter()
            results[table.kind] = [side_shards.write_side_shard(table, shard, str(staging), options) for shard in plan]
            written = time.perf_counter() - started
            rows = plan[0].total_rows
            shown = ", ".join(f"{name} {tasks} x in {seconds:.2f} s" for name, tasks, seconds in rounds)
            report.append(f"{table.kind:10s} {rows:9d} rows, {len(plan):4d} shards: plan {planned:6.2f} s"
                          f" ({rows / max(planned, 1e-9) / 1e3:7.0f} K rows/s{'; ' + shown if shown else ''}),"
                          f" shards {written:6.2f} s")
        return results

    @dataclasses.dataclass(frozen=True)
    class TimedShards(LocalEngine):
        def shard_tasks(self):
            return ShardTasks(data, side)

    out = Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    summary = run(args.inputs, out, Options(), engine=TimedShards())
    print(f"wall {time.perf_counter() - started:.1f} s, {summary.published} published ({side_shards.__file__})")
    print("\n".join(report))


if __name__ == "__main__":
    main()
