"""Smoke test of bench/throughput.py on a tiny corpus (one pipeline run, one floor run)."""
from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SCRIPT = REPO / "bench" / "throughput.py"


def _load():
    spec = importlib.util.spec_from_file_location("bench_throughput", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bench = _load()
needs_generator = pytest.mark.skipif(not (REPO / bench.DEFAULT_MAKE_CORPUS).exists(),
                                     reason="../shared/bench/make_corpus.py not present")
needs_proc = pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")


@needs_proc
def test_tree_memory_counts_descendants():
    child = subprocess.Popen([sys.executable, "-c",
                              "import subprocess, sys, time; "
                              "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(5)']); "
                              "time.sleep(5)"])
    try:
        time.sleep(1.0)
        alone = bench._field_kib(f"/proc/{child.pid}/status", b"VmRSS:")
        rss, _ = bench.tree_memory_kib(child.pid)
        assert alone > 0 and rss > alone  # the grandchild's memory is included
    finally:
        for pid, kids in bench._children_map().items():
            if pid == child.pid:
                for kid in kids:
                    os.kill(kid, 9)
        child.kill()
        child.wait()


def test_floor_copy_round_trips(tmp_path):
    import pyarrow.parquet as pq

    src = tmp_path / "c.jsonl"
    src.write_text("".join(json.dumps({"id": f"d{i}", "text": "x\n" * i, "url": "u"}) + "\n"
                           for i in range(50)))
    bench.floor_copy(str(src), str(tmp_path / "c.parquet"), "zstd", bench.FLOOR_LEVEL)
    table = pq.read_table(tmp_path / "c.parquet")
    assert table.num_rows == 50 and table.column("text")[3].as_py() == "x\n" * 3


def test_the_floor_compresses_like_the_pipeline():
    from newsclean.options import PublishOptions

    assert bench.FLOOR_LEVEL == PublishOptions().writer_level


def _run_script(tmp_path, *args: str) -> tuple[dict, str]:
    """The script on a 5-document corpus: (its JSON report's "main" part, its stderr)."""
    out = subprocess.run([sys.executable, str(SCRIPT), "--docs", "5", *args, "--out-dir", str(tmp_path),
                          "--json"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stdout + out.stderr
    return json.loads(out.stdout)["main"], out.stderr


@needs_proc
@needs_generator
def test_script_end_to_end_json(tmp_path):
    report, _ = _run_script(tmp_path, "--repeat", "1", "--workers", "1")
    assert report["docs"] == 5 and report["input_bytes"] > 0
    (run,) = report["pipeline"]
    assert run["workers"] == 1 and run["seconds_median"] > 0 and run["peak_rss_mb_max"] > 20
    assert run["ratio_to_floor"] > 0 and report["repeats_identical"]
    assert (tmp_path / "dist-5-w1" / "manifest.json").exists()


@needs_proc
@needs_generator
def test_worker_counts_alternate_and_each_round_gives_its_ratio(tmp_path):
    report, log = _run_script(tmp_path, "--repeat", "2", "--workers", "1,2")
    order = [line.split()[0] for line in log.splitlines() if line.strip().startswith("workers=")]
    assert order == ["workers=1", "workers=2", "workers=1", "workers=2"]
    one, two = report["pipeline"]
    assert len(one["seconds_all"]) == len(two["seconds_all"]) == 2
    ratios = [a / b for a, b in zip(one["seconds_all"], two["seconds_all"])]
    assert abs(two["speedup_paired"] - sum(ratios) / 2) < 0.01  # the median of two: their mean
    assert report["outputs_identical"]
