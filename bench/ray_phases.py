#!/usr/bin/env python3
"""Where a Ray run's time goes, task by task: one `--engine ray` run in this process, on a local
Ray of --cpus CPUs, then every remote function's tasks from Ray's task events (how many, their
summed and longest running time, and when the first started and the last ended, from the first
task's start). The rates of docs/scale-out.md's 10 TB projection come from it.

    python3 bench/ray_phases.py FILE... [--out bench/out/ray-phases] [--cpus 2]

Task events are read through Ray's private `ray._private.state` (the public state API,
`ray list tasks`, needs the dashboard of `ray[default]`), so a Ray upgrade may move them.
"""
from __future__ import annotations

import argparse
import json
import shutil
import time
from collections import defaultdict
from pathlib import Path


def task_times(job: str) -> dict[str, dict]:
    """Each remote function's (or actor method's) tasks of the driver `job` (hex id)."""
    import ray
    from ray.core.generated.common_pb2 import TaskStatus, TaskType

    stats: dict[str, dict] = defaultdict(lambda: {"tasks": 0, "running_s": 0.0, "longest_s": 0.0,
                                                  "first": None, "last": None})
    for event in ray._private.state.state._get_all_task_events():
        info = event.task_info
        if event.job_id.hex() != job or not info.func_or_class_name:
            continue
        parts = info.func_or_class_name.split(".")
        actor = info.type in (TaskType.ACTOR_TASK, TaskType.ACTOR_CREATION_TASK)
        name = ".".join(parts[-2:]) if actor else parts[-1]
        stamps = event.state_updates.state_ts_ns
        if TaskStatus.RUNNING not in stamps or TaskStatus.FINISHED not in stamps:
            continue
        start, end = stamps[TaskStatus.RUNNING] / 1e9, stamps[TaskStatus.FINISHED] / 1e9
        one = stats[name]
        one["tasks"] += 1
        one["running_s"] += end - start
        one["longest_s"] = max(one["longest_s"], end - start)
        one["first"] = start if one["first"] is None else min(one["first"], start)
        one["last"] = end if one["last"] is None else max(one["last"], end)
    return dict(stats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inputs", nargs="+")
    parser.add_argument("--out", default="bench/out/ray-phases", help="the release (replaced; git-ignored)")
    parser.add_argument("--cpus", type=int, default=2, help="the local Ray's CPUs")
    args = parser.parse_args()

    import ray

    from newsclean import run
    from newsclean.engines import RayEngine
    from newsclean.options import Options

    out = Path(args.out)
    shutil.rmtree(out, ignore_errors=True)
    ray.init(num_cpus=args.cpus, include_dashboard=False, logging_level="WARNING")
    try:
        started = time.perf_counter()
        summary = run(args.inputs, out, Options(), engine=RayEngine())
        wall = time.perf_counter() - started
        time.sleep(3)  # the workers report their task events every second
        stats = task_times(ray.get_runtime_context().get_job_id())
    finally:
        ray.shutdown()
    origin = min(one["first"] for one in stats.values())
    print(f"wall {wall:.1f} s, {summary.published} published")
    for name, one in sorted(stats.items(), key=lambda item: item[1]["first"]):
        print(f"{name:28s} tasks {one['tasks']:5d}  running {one['running_s']:8.2f} s"
              f"  longest {one['longest_s']:7.2f} s  from {one['first'] - origin:7.2f} to {one['last'] - origin:7.2f} s")
    sizes: dict[str, int] = defaultdict(int)
    for path in out.rglob("*"):
        if path.is_file():
            sizes[path.relative_to(out).parts[0]] += path.stat().st_size
    print("release bytes", json.dumps(dict(sizes)))


if __name__ == "__main__":
    main()
