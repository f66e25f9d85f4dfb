"""The CLI end to end, as a user runs it: run, validate, bad arguments, bad inputs."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pyarrow.parquet as pq

from conftest import REPO, _env, cli


def test_run_publishes_seeds_and_validate_passes(seeds_release):
    assert sorted(p.name for p in (seeds_release / "data").iterdir()) == ["train-00000-of-00001.parquet"]
    assert pq.read_table(seeds_release / "data").num_rows == 5
    result = cli("validate", str(seeds_release))
    assert result.returncode == 0, result.stdout
    assert "valid" in result.stdout


def test_validate_json_format(seeds_release):
    result = cli("validate", str(seeds_release), "--format", "json")
    report = json.loads(result.stdout)
    assert result.returncode == 0 and report["valid"] is True and report["rows"]["data"] == 5


def test_bad_arguments_exit_2(tmp_path):
    assert cli("frobnicate").returncode == 2
    assert cli("run", "--workers", "many").returncode == 2
    assert cli("validate", str(tmp_path / "nowhere")).returncode == 2
    missing = cli("run", str(tmp_path / "missing-input"), "--out", str(tmp_path / "out"))
    assert missing.returncode != 0
    assert len(missing.stderr.strip().splitlines()) == 1 and "missing-input" in missing.stderr
    assert not (tmp_path / "out").exists()
    bad_pattern = cli("run", "seeds", "--out", str(tmp_path / "out"), "--pattern", "nav=([unclosed")
    assert bad_pattern.returncode == 2 and "pattern" in bad_pattern.stderr


def test_unreadable_inputs_are_quarantined_and_the_run_goes_on(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    shutil.copy(REPO / "seeds" / "000_fa4969b52f2499a1.txt", inputs)
    (inputs / "binary.txt").write_bytes(bytes(range(256)) * 20)
    (inputs / "empty.txt").write_bytes(b"")
    (inputs / "only-chrome.txt").write_text("[ad_1]\n\nSource link\n", encoding="utf-8")
    (inputs / "rows.jsonl").write_text(
        '{"id": "good", "text": "A headline here\\n\\nThe council voted on Tuesday to approve the new budget for the city schools."}\n'
        "{not json\n"
        '{"id": "notext"}\n', encoding="utf-8")
    (inputs / "notes.csv").write_text("a,b\n", encoding="utf-8")
    out = tmp_path / "dist"
    result = cli("run", str(inputs), "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "skipped files" in result.stdout
    published = pq.read_table(out / "data").column("id").to_pylist()
    assert published == ["000_fa4969b52f2499a1", "good"]
    rejects = {r["id"]: r for r in pq.read_table(out / "rejects").to_pylist()}
    assert rejects["binary"]["reason"] == "binary"
    assert rejects["empty"]["reason"] == "empty"
    assert rejects["only-chrome"]["reason"] == "no_text"
    assert rejects["rows-2"]["reason"] == "bad_json"
    assert rejects["notext"]["reason"] == "empty"
    assert all(r["detail"] for r in rejects.values())
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["rejected"] == 5 and manifest["input"]["skipped_files"] == {".csv": 1}
    assert cli("validate", str(out)).returncode == 0


def test_disable_rule_and_add_pattern_from_cli_and_toml(tmp_path):
    text = ("My headline\n\nThe council voted on Tuesday to approve the new budget for the schools.\n\n"
            "Source link\n\nMore from my little site\n")
    (tmp_path / "a.txt").write_text(text, encoding="utf-8")
    out = tmp_path / "dist"
    result = cli("run", str(tmp_path / "a.txt"), "--out", str(out), "--disable", "source_link",
                 "--pattern", "navigation=more from my little site")
    assert result.returncode == 0, result.stderr
    body = pq.read_table(out / "data").column("text").to_pylist()[0]
    assert "Source link" in body.split("\n\n") and "More from my little site" not in body
    config = tmp_path / "options.toml"
    config.write_text('[rules]\ndisabled = ["credit"]\n'
                      'extra = [{name = "footer", family = "navigation", pattern = "source link"}]\n')
    result = cli("run", str(tmp_path / "a.txt"), "--out", str(out), "--config", str(config))
    assert result.returncode == 0, result.stderr
    rules = pq.read_table(out / "removals").column("rule").to_pylist()
    assert "source_link" in rules  # the built-in rule wins: it comes first in rules.toml
    bad = tmp_path / "bad.toml"
    bad.write_text("[rules]\nno_such_option = 1\n")
    result = cli("run", str(tmp_path / "a.txt"), "--out", str(out), "--config", str(bad))
    assert result.returncode == 2 and "no_such_option" in result.stderr


def test_entry_exits_with_mains_code_and_runs_exit_handlers(tmp_path):
    """The console script's exit skips the last collections (gc.freeze) but is otherwise the
    usual one: main's exit code, exit handlers run, output flushed."""
    script = ("import atexit, sys\n"
              "atexit.register(lambda: print('exit handler ran', flush=True))\n"
              "from newsclean.cli import entry\n"
              f"sys.argv = ['newsclean', 'validate', {str(tmp_path / 'nowhere')!r}]\n"
              "print('before', end='')\n"
              "entry()\n")
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True,
                            timeout=120, env=_env())
    assert result.returncode == 2, result.stderr
    assert result.stdout.startswith("before") and "exit handler ran" in result.stdout
    assert "nowhere" in result.stderr


def test_the_card_states_the_codec_the_shards_were_written_with(seeds_release, tmp_path):
    card = (seeds_release / "README.md").read_text(encoding="utf-8")
    assert "sorted by `id` (zstd level 3, row groups of 1000 rows)" in card
    codecs = {pq.ParquetFile(path).metadata.row_group(0).column(0).compression
              for path in (seeds_release / "data").glob("*.parquet")}
    assert codecs == {"ZSTD"}
    config = tmp_path / "options.toml"
    config.write_text('[publish]\ncompression = "snappy"\n')
    out = tmp_path / "snappy"
    result = cli("run", str(REPO / "seeds"), "--out", str(out), "--config", str(config))
    assert result.returncode == 0, result.stderr
    assert "sorted by `id` (snappy, row groups" in (out / "README.md").read_text(encoding="utf-8")
    path = next((out / "data").glob("*.parquet"))
    assert pq.ParquetFile(path).metadata.row_group(0).column(0).compression == "SNAPPY"
    for bad, message in (('compression = "zip"', "publish.compression must be one of"),
                         ('compression = "gzip"\ncompression_level = 12', "must be from 1 to 9, not 12"),
                         ('compression = "snappy"\ncompression_level = 3', "'snappy' takes no compression_level"),
                         ('compression_level = "high"', "must be an integer")):
        config.write_text(f"[publish]\n{bad}\n")
        result = cli("run", str(REPO / "seeds"), "--out", str(tmp_path / "bad"), "--config", str(config))
        assert result.returncode == 2 and message in result.stderr, (bad, result.stderr)
    assert not (tmp_path / "bad").exists()  # refused before any work
