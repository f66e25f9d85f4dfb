"""Issue 16, items 1, 9, 10 and 13: where a run may publish, one run at a time per output, a
validator that takes nothing its manifest does not vouch for, and options refused when wrong.

Every test goes through the real CLI (`python -m newsclean ...`) on real folders."""
from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import REPO, _env, cli, synthetic_corpus
from newsclean.publish.validate import validate_release



def snapshot(folder: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file ('<dir>' for folders), hidden ones included."""
    return {p.relative_to(folder).as_posix(): "<dir>" if p.is_dir() else hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*"))}


def one_line_error(result: subprocess.CompletedProcess, *words: str) -> str:
    """The run failed with one `newsclean:` line on stderr naming each of `words`, no traceback."""
    assert result.returncode != 0, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("newsclean: "), result.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def no_leftovers(out: Path) -> None:
    assert not list(out.parent.glob(f".{out.name}.staging-*"))


# ---------------------------------------------------------------- item 1: what --out may be

def test_a_folder_of_the_users_files_is_refused_and_left_alone(tmp_path):
    mydocs = tmp_path / "mydocs"
    (mydocs / "letters").mkdir(parents=True)
    (mydocs / "notes.txt").write_text("my notes\n")
    (mydocs / "letters" / "a.txt").write_text("dear\n")
    before = snapshot(mydocs)
    result = cli("run", "seeds", "--out", str(mydocs))
    assert result.returncode == 2
    line = one_line_error(result, str(mydocs), "--force")
    assert "not a newsclean release" in line
    assert snapshot(mydocs) == before
    no_leftovers(mydocs)


def test_force_replaces_a_folder_that_is_not_a_release(tmp_path):
    out = tmp_path / "scratch"
    out.mkdir()
    (out / "old.txt").write_text("x")
    result = cli("run", "seeds", "--out", str(out), "--force")
    assert result.returncode == 0, result.stderr
    assert not (out / "old.txt").exists() and validate_release(out).ok


def test_an_empty_folder_and_a_previous_release_are_taken(tmp_path, seeds_release):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert cli("run", "seeds", "--out", str(empty)).returncode == 0
    again = tmp_path / "again"
    shutil.copytree(seeds_release, again)
    result = cli("run", "seeds", "--out", str(again))
    assert result.returncode == 0, result.stderr
    assert snapshot(again) == snapshot(seeds_release)


def test_a_release_holding_files_its_manifest_does_not_list_is_refused(tmp_path, seeds_release):
    out = tmp_path / "dist"
    shutil.copytree(seeds_release, out)
    (out / "my-analysis.ipynb").write_text("{}")
    before = snapshot(out)
    result = cli("run", "seeds", "--out", str(out))
    assert result.returncode == 2
    one_line_error(result, "my-analysis.ipynb", "--force")
    assert snapshot(out) == before


@pytest.mark.parametrize("where", ["equal", "out inside input", "input inside out"])
def test_output_and_inputs_may_not_overlap(tmp_path, where):
    articles = tmp_path / "articles"
    articles.mkdir()
    for seed in sorted((REPO / "seeds").iterdir()):
        shutil.copy(seed, articles)
    if where == "equal":
        inputs, out = articles, articles
    elif where == "out inside input":
        inputs, out = articles, articles / "dist"
    else:
        inputs, out = articles / "inner", articles
        inputs.mkdir()
        shutil.copy(REPO / "seeds" / "000_fa4969b52f2499a1.txt", inputs)
    before = snapshot(articles)
    for force in ((), ("--force",)):  # no --force makes an overlap safe
        result = cli("run", str(inputs), "--out", str(out), *force)
        assert result.returncode == 2
        one_line_error(result, "input")
        assert snapshot(articles) == before


def test_out_an_existing_file_is_refused_cleanly(tmp_path):
    target = tmp_path / "report.pdf"
    target.write_bytes(b"%PDF-1.4 mine")
    for force in ((), ("--force",)):
        result = cli("run", "seeds", "--out", str(target), *force)
        assert result.returncode == 2
        one_line_error(result, str(target), "not a folder")
        assert target.read_bytes() == b"%PDF-1.4 mine"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["report.pdf"]


def test_out_dot_is_refused_cleanly(tmp_path):
    work = tmp_path / "work"
    shutil.copytree(REPO / "seeds", work / "seeds")
    before = snapshot(work)
    for force in ((), ("--force",)):
        result = cli("run", "seeds", "--out", ".", *force, cwd=work)
        assert result.returncode == 2
        one_line_error(result, "--out")
        assert snapshot(work) == before


# ---------------------------------------------------------------- item 9: one run per output

@pytest.fixture(scope="module")
def slow_input(tmp_path_factory) -> Path:
    """A corpus a run takes a few seconds over."""
    return synthetic_corpus(tmp_path_factory, "slow", 3000)


def test_a_second_run_into_the_same_output_fails_at_once(tmp_path, slow_input):
    out = tmp_path / "dist"
    first = subprocess.Popen([sys.executable, "-m", "newsclean", "run", str(slow_input), "--out", str(out)],
                             cwd=REPO, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        staging = out.parent / f".{out.name}.staging-{first.pid}"
        deadline = time.monotonic() + 60
        while not staging.exists():
            assert first.poll() is None and time.monotonic() < deadline, "the first run ended too soon"
            time.sleep(0.01)
        started = time.monotonic()
        second = cli("run", "seeds", "--out", str(out))
        assert time.monotonic() - started < 10
        assert first.poll() is None, "the first run ended before the second was refused: no test"
        line = one_line_error(second, f".{out.name}.lock", str(out))
        assert "another newsclean run" in line
        _, err = first.communicate(timeout=120)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert first.returncode == 0, err
    assert validate_release(out).ok
    assert not any(".lock" in name for name in snapshot(out))  # the lock is beside, never inside
    again = cli("run", "seeds", "--out", str(out))  # the lock does not outlive its run
    assert again.returncode == 0, again.stderr


# ---------------------------------------------------------------- item 10: validate

def _damage(release: Path, how: str) -> str:
    """Damage the release one way; returns what the report must name."""
    if how == "extra shard in data/sub":
        (release / "data" / "sub").mkdir()
        shutil.copy(release / "data" / "train-00000-of-00001.parquet", release / "data" / "sub" / "more.parquet")
        return "data/sub/more.parquet"
    if how == "hidden file":
        (release / "data" / ".cache.parquet").write_bytes(b"x")
        return "data/.cache.parquet"
    if how == "hidden top-level file":
        (release / ".DS_Store").write_bytes(b"x")
        return ".DS_Store"
    if how == "extra top-level file":
        (release / "notes.txt").write_text("hello")
        return "notes.txt"
    if how == "extra top-level folder":
        (release / "extra").mkdir()
        return "extra"
    manifest_path = release / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    if how == "edited total rows":
        manifest["totals"]["data"]["rows"] += 1000
        manifest_path.write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        return "totals"
    if how == "edited published count":
        manifest["counts"]["published"] += 1000
        manifest_path.write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        return "published"
    if how == "edited file rows":
        manifest["files"][0]["rows"] += 1000
        manifest_path.write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        return manifest["files"][0]["path"]
    if how == "edited README.md":
        with open(release / "README.md", "a", encoding="utf-8") as handle:
            handle.write("\nThis corpus is licensed CC0.\n")
        return "README.md"
    if how == "edited croissant.json":
        text = (release / "croissant.json").read_text(encoding="utf-8")
        (release / "croissant.json").write_text(text.replace('"name"', '"name" ', 1), encoding="utf-8")
        return "croissant.json"
    raise AssertionError(how)


DAMAGE = ["extra shard in data/sub", "hidden file", "hidden top-level file", "extra top-level file",
          "extra top-level folder", "edited total rows", "edited published count", "edited file rows",
          "edited README.md", "edited croissant.json"]


@pytest.mark.parametrize("how", DAMAGE)
def test_validate_rejects_what_the_manifest_does_not_vouch_for(damageable_release, how):
    assert validate_release(damageable_release).ok
    named = _damage(damageable_release, how)
    result = cli("validate", str(damageable_release))
    assert result.returncode == 1, result.stdout
    assert "INVALID" in result.stdout and named in result.stdout, result.stdout


def test_the_manifest_lists_the_card_croissant_and_report_checksums_deterministically(seeds_release, tmp_path):
    manifest = json.loads((seeds_release / "manifest.json").read_text(encoding="utf-8"))
    described = {entry["path"]: entry for entry in manifest["metadata_files"]}
    assert sorted(described) == ["README.md", "croissant.json", "report.html"]
    for name, entry in described.items():
        data = (seeds_release / name).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest() and entry["bytes"] == len(data)
    out = tmp_path / "second"
    assert cli("run", "seeds", "--out", str(out), "--workers", "2").returncode == 0
    assert snapshot(out) == snapshot(seeds_release)


# ---------------------------------------------------------------- item 13: options refused

@pytest.mark.parametrize("args, named", [
    (("--workers", "0"), "--workers"), (("--workers", "-3"), "--workers"),
    (("--shard-rows", "0"), "--shard-rows"),
    (("--disable", "sourcelink"), "source_link"),  # a rule name, misspelt
    (("--disable", "navigaton"), "navigation"),  # a family name, misspelt
    (("--disable", "pull_quotes"), "pull_quote"),  # a context rule's name
])
def test_bad_numbers_and_unknown_rules_are_refused(tmp_path, args, named):
    out = tmp_path / "dist"
    result = cli("run", "seeds", "--out", str(out), *args)
    assert result.returncode == 2
    one_line_error(result, named)
    assert not out.exists()


def test_unknown_rule_in_the_config_is_refused(tmp_path):
    config = tmp_path / "options.toml"
    config.write_text('[rules]\ndisabled = ["credits"]\n')
    result = cli("run", "seeds", "--out", str(tmp_path / "dist"), "--config", str(config))
    assert result.returncode == 2
    one_line_error(result, "credits", "credit")
    config.write_text("workers = 0\n")
    result = cli("run", "seeds", "--out", str(tmp_path / "dist"), "--config", str(config))
    assert result.returncode == 2
    one_line_error(result, "workers")


def test_known_names_and_the_users_own_rules_are_taken(tmp_path):
    result = cli("run", "seeds", "--out", str(tmp_path / "dist"), "--disable", "navigation",
                 "--disable", "pull_quote", "--disable", "body_model", "--disable", "mine", "--pattern", "mine=never seen line")
    assert result.returncode == 0, result.stderr


def test_known_rule_names_lists_rules_families_and_context_rules():
    from newsclean.cleaning.context import CONTEXT_RULE_NAMES
    from newsclean.cleaning.rules import default_rules, known_rule_names

    names = known_rule_names()
    assert {r.name for r in default_rules()} <= names and {r.family for r in default_rules()} <= names
    assert set(CONTEXT_RULE_NAMES) <= names and {"title", "duplicate_title", "pull_quote"} <= names
