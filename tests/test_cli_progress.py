"""`newsclean run` on a terminal (a pseudo-terminal here) shows a live progress line with the
stage, counts, MB/s and ETA, then the summary table; off a terminal, and with -q, it shows none."""
from __future__ import annotations

import os
import pty
import re
import subprocess
import sys

import pytest

from conftest import REPO, _env, cli, synthetic_corpus

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


DOCS = 20_000  # the run: 20,000 benchmark documents (~30 s with one worker)


@pytest.fixture(scope="module")
def news(tmp_path_factory):
    return synthetic_corpus(tmp_path_factory, "progress", 3000)


@pytest.fixture(scope="module")
def benchmark_news(tmp_path_factory):
    return synthetic_corpus(tmp_path_factory, "progress-20k", DOCS)


def run_in_terminal(*args: str, timeout: int = 300) -> tuple[int, str]:
    """The CLI with stdin, stdout and stderr on a pseudo-terminal; (exit code, all it wrote)."""
    master, slave = pty.openpty()
    env = {**_env(), "TERM": "xterm-256color", "COLUMNS": "160"}
    env.pop("NO_COLOR", None)
    process = subprocess.Popen([sys.executable, "-m", "newsclean", *args], cwd=REPO, env=env,
                               stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the terminal's other end is closed (the process exited)
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    return process.wait(timeout=timeout), b"".join(chunks).decode("utf-8", "replace")


def test_a_terminal_shows_live_progress_then_the_summary(benchmark_news, tmp_path):
    code, screen = run_in_terminal("run", str(benchmark_news), "--out", str(tmp_path / "out"))
    assert code == 0, screen
    text = ANSI.sub("", screen)
    frames = re.findall(r"(\d[\d,]*) read, (\d[\d,]*) published, (\d[\d,]*) rejected", text)
    assert len(frames) >= 2, text[-3000:]  # redrawn, not printed once
    read_counts = [int(read.replace(",", "")) for read, _, _ in frames]
    assert read_counts == sorted(read_counts) and read_counts[-1] == DOCS
    last = frames[-1]
    assert int(last[1].replace(",", "")) + int(last[2].replace(",", "")) == DOCS
    assert "reading and cleaning" in text and "checking the release" in text
    assert re.search(r"\d+\.\d\d MB/s", text) and "ETA" in text  # .jsonl: the input size is known
    assert "documents in" in text and "MB/s per core" in text and "newsclean inspect" in text


def test_quiet_on_a_terminal_shows_no_progress_and_no_summary(news, tmp_path):
    code, screen = run_in_terminal("run", str(news), "--out", str(tmp_path / "out"), "-q")
    assert code == 0, screen
    assert "read," not in screen and "documents in" not in screen


def test_no_progress_when_stderr_is_not_a_terminal(tmp_path):
    result = cli("run", str(REPO / "seeds"), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert "MB/s" not in result.stderr and "\x1b[" not in result.stderr + result.stdout
    assert "documents in" in result.stdout and "headlines moved into title" in result.stdout
