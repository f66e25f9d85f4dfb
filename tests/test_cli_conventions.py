"""The CLI's conventions: --version, -v/-q before or after the subcommand, -v logging every
rejection (reason and failed check), help with examples and defaults."""
from __future__ import annotations

import json
import shutil

from conftest import REPO, cli
from newsclean import __version__


def test_version():
    result = cli("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"newsclean {__version__}"


def test_help_has_examples_and_defaults():
    top, run = cli("--help"), cli("run", "--help")
    assert top.returncode == run.returncode == 0
    for command in ("newsclean run", "newsclean inspect", "newsclean rules", "newsclean report"):
        assert command in top.stdout
    words = " ".join(run.stdout.split())
    assert "examples:" in words and "--out DIR published folder (default: dist)" in words
    assert ".parquet (default: seeds)" in words and "(default: None)" not in words


# An article dated after tomorrow by its input field: rejected as `schema`, failing date_in_range.
FUTURE = {"id": "future", "published": "2099-01-02", "text": "A headline for the test\n\nThe council "
          "voted on Tuesday to approve the new budget for the city schools after a long debate."}
FAILED_CHECK = "row: date_in_range(earliest=1990-01-01)"


def _inputs(folder):
    """A seed article, a binary file (rejected: binary), a JSON line without text (empty) and one
    from the future (schema, with its failed check)."""
    folder.mkdir(parents=True)
    shutil.copy(REPO / "seeds" / "000_fa4969b52f2499a1.txt", folder)
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 20)
    (folder / "rows.jsonl").write_text('{"id": "notext"}\n' + json.dumps(FUTURE) + "\n", encoding="utf-8")
    return folder


def test_verbose_before_or_after_the_subcommand_logs_every_rejection(tmp_path):
    inputs = _inputs(tmp_path / "in")
    for where, args in (("after", ["run", str(inputs), "--out", str(tmp_path / "a"), "-v"]),
                        ("before", ["-v", "run", str(inputs), "--out", str(tmp_path / "b")])):
        result = cli(*args)
        assert result.returncode == 0, result.stderr
        logged = sorted(line for line in result.stderr.splitlines()
                        if line.startswith("INFO newsclean.summary: rejected "))
        assert len(logged) == 3, (where, result.stderr)
        assert " binary from " in logged[0] and logged[0].split(": ")[2] == "binary", logged
        assert " future from " in logged[1] and f"schema (failed {FAILED_CHECK})" in logged[1], logged
        assert " notext from " in logged[2] and logged[2].split(": ")[2] == "empty", logged
    quiet_default = cli("run", str(inputs), "--out", str(tmp_path / "c"))
    assert "INFO" not in quiet_default.stderr


def test_quiet_prints_nothing_and_default_prints_the_table(tmp_path):
    inputs = _inputs(tmp_path / "in")
    quiet = cli("run", str(inputs), "--out", str(tmp_path / "q"), "-q")
    assert quiet.returncode == 0 and quiet.stdout == "" and quiet.stderr == ""
    loud = cli("run", str(inputs), "--out", str(tmp_path / "l"))
    assert loud.returncode == 0, loud.stderr
    rows = dict(line.strip().rsplit(None, 1) for line in loud.stdout.splitlines()
                if line.strip() and line.strip()[-1].isdigit() and "  " in line.strip())
    assert rows["documents in"] == "4" and rows["published"] == "1" and rows["rejected"] == "3"
    assert rows["binary"] == "1" and rows["empty"] == "1"
    assert rows[f"schema (failed check {FAILED_CHECK})"] == "1"


def test_verbose_and_quiet_together_is_a_usage_error():
    result = cli("run", "-v", "-q")
    assert result.returncode == 2 and "not allowed with" in result.stderr
