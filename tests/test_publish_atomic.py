"""A run killed with SIGKILL at any stage leaves the previous release byte for byte as it was.

The run builds the new release in `.<OUT>.staging-<pid>` beside OUT (pipeline/publish/release.py)
and swaps it in with one atomic rename; these tests kill it while it reads, while it writes the
shards, and while it validates the staged release, then check OUT and let a next run clean up.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO, SHARED, _env, cli
from newsclean.publish.validate import validate_release

MAKE_CORPUS = SHARED / "bench" / "make_corpus.py"
DOCS = 400  # a few seconds of work: time to kill the run at each stage
KILL_AT = {  # stage -> (file in the staging folder that marks it, seconds to wait after it appears)
    "reading": ("", 0.3),
    "writing shards": ("data", 0.0),
    "validating": ("manifest.json", 0.0),
}


@pytest.fixture(scope="module")
def big_input(tmp_path_factory) -> Path:
    if not MAKE_CORPUS.exists():
        pytest.skip("shared/bench/make_corpus.py is not beside this checkout")
    path = tmp_path_factory.mktemp("big") / "news.jsonl"
    subprocess.run([sys.executable, str(MAKE_CORPUS), "--docs", str(DOCS), "--out", str(path)],
                   check=True, capture_output=True, timeout=120)
    return path


def snapshot(folder: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file, and '<dir>' for every folder, under `folder`."""
    return {path.relative_to(folder).as_posix(): "<dir>" if path.is_dir() else
            hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(folder.rglob("*"))}


def run_and_kill(inputs: Path, out: Path, marker: str, delay: float) -> Path:
    """Start `python -m newsclean run`, SIGKILL it (and anything it started) once `marker` appears
    in its staging folder; returns the staging folder it left behind."""
    process = subprocess.Popen([sys.executable, "-m", "newsclean", "run", str(inputs), "--out", str(out)],
                               cwd=REPO, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               start_new_session=True)
    staging = out.parent / f".{out.name}.staging-{process.pid}"
    deadline = time.monotonic() + 120
    try:
        while not (staging / marker).exists():
            if process.poll() is not None:
                pytest.fail(f"the run ended (exit {process.returncode}) before {marker or 'staging'} "
                            f"appeared: {process.stderr.read()[-2000:]}")
            if time.monotonic() > deadline:
                pytest.fail("the run never reached the stage to kill it at")
            time.sleep(0.002)
        time.sleep(delay)
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        process.stderr.close()
    assert process.returncode == -signal.SIGKILL
    return staging


@pytest.mark.parametrize("stage", list(KILL_AT))
def test_killed_run_leaves_the_previous_release_intact(stage, big_input, seeds_release, tmp_path):
    out = tmp_path / "dist"
    shutil.copytree(seeds_release, out)
    before = snapshot(out)

    staging = run_and_kill(big_input, out, *KILL_AT[stage])

    assert staging.is_dir(), "the killed run should leave its staging folder behind"
    if stage == "validating" and (snapshot(staging) == before or (
            snapshot(out) != before and validate_release(out).ok)):
        # the swap was done: OUT holds the new, whole release, the old one was being cleared
        pytest.skip("killed in the instant after the swap: the new release is in place instead")
    assert snapshot(out) == before
    assert validate_release(out).ok

    again = cli("run", "seeds", "--out", str(out))  # the next run clears the dead run's staging
    assert again.returncode == 0, again.stderr
    assert not staging.exists()
    assert not list(out.parent.glob(f".{out.name}.staging-*"))
    assert validate_release(out).ok
