"""Shared fixtures: the repo, the gold labels, and a runner for the real CLI."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
GOLD = SHARED / "gold" / "seeds.jsonl"


def cli(*args: str, cwd: Path = REPO, timeout: int = 300) -> subprocess.CompletedProcess:
    """`python -m pipeline ARGS` as a user runs it."""
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env=_env())


def _env() -> dict:
    import os

    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


@pytest.fixture(scope="session")
def gold() -> list[dict]:
    if not GOLD.exists():
        pytest.skip("shared/gold is not beside this checkout")
    return [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="session")
def seeds_release(tmp_path_factory) -> Path:
    """The seeds published through the real CLI into a fresh folder (once per session)."""
    out = tmp_path_factory.mktemp("release") / "dist"
    result = cli("run", "seeds", "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out
