"""Shared fixtures: the repo, the gold labels, and a runner for the real CLI."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests draw the same examples on every run ("Deterministic" holds for tests too: a
# clean checkout gives the same verdict as the author's machine). To search fresh examples:
#   HYPOTHESIS_PROFILE=explore python3 -m pytest tests/test_properties.py
# (The same examples need the same hypothesis version: CI installs the newest, as a user would.)
settings.register_profile("newsclean", derandomize=True)
settings.register_profile("explore", derandomize=False, max_examples=5000)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "newsclean"))

REPO = Path(__file__).resolve().parent.parent
MAKE_CORPUS = REPO.parent / "shared" / "bench" / "make_corpus.py"

# Skipped without their library on a developer's machine, but required under CI (CI=true, with
# `.[test]` installed): the Ray engine's tests (byte for byte the local release, on a local Ray)
# and the object store's (moto's S3 server)
REQUIRED_UNDER_CI = ("ray", "moto.server")


def missing_under_ci(environ=os.environ, find_spec=None) -> list[str]:
    """The libraries of REQUIRED_UNDER_CI that cannot be imported, when running under CI."""
    import importlib.util

    if environ.get("CI") != "true":
        return []
    find = find_spec or importlib.util.find_spec
    missing = []
    for name in REQUIRED_UNDER_CI:
        try:
            found = find(name)
        except ImportError:
            found = None
        if found is None:
            missing.append(name)
    return missing


def pytest_sessionstart(session):
    missing = missing_under_ci()
    if missing:
        raise pytest.UsageError(f"under CI the tests of {', '.join(missing)} must run, not be skipped: "
                                "install '.[test]'")


def synthetic_corpus(tmp_path_factory, name: str, docs: int) -> Path:
    """`docs` documents of ../shared/bench/make_corpus.py as JSON Lines (the test is skipped
    when the generator is not beside this checkout)."""
    if not MAKE_CORPUS.exists():
        pytest.skip("shared/bench/make_corpus.py is not beside this checkout")
    path = tmp_path_factory.mktemp(name) / "news.jsonl"
    subprocess.run([sys.executable, str(MAKE_CORPUS), "--docs", str(docs), "--out", str(path)],
                   check=True, capture_output=True, timeout=120)
    return path
SHARED = REPO.parent / "shared"
GOLD = SHARED / "gold" / "seeds.jsonl"


def cli(*args: str, cwd: Path = REPO, timeout: int = 300) -> subprocess.CompletedProcess:
    """`python -m newsclean ARGS` as a user runs it."""
    return subprocess.run([sys.executable, "-m", "newsclean", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout, env=_env())


def _env() -> dict:
    """The caller's environment without PYTHONPATH: the CLI under test is the installed
    `newsclean` (editable or not), never a folder of the checkout put on the path."""
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
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


@pytest.fixture
def damageable_release(seeds_release: Path, tmp_path: Path) -> Path:
    """A private copy of the seeds release, free to damage."""
    out = tmp_path / "dist"
    shutil.copytree(seeds_release, out)
    return out


def rewrite_shard(release: Path, name: str, table, *, update_manifest: bool = True) -> None:
    """Write `table` as shard `name`; list it in the manifest with its new sha256, bytes and rows
    (unless `update_manifest` is False), so that only the row checks can catch the damage."""
    import pyarrow.parquet as pq

    from newsclean.publish.validate import sha256_file

    path = release / name
    path.parent.mkdir(exist_ok=True)
    pq.write_table(table, path, compression="zstd")
    if not update_manifest:
        return
    manifest_path = release / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    entry = next((e for e in manifest["files"] if e["path"] == name), None)
    if entry is None:
        entry = {"path": name, "table": name.split("/")[0]}
        manifest["files"].append(entry)
    entry.update(rows=table.num_rows, bytes=path.stat().st_size, sha256=sha256_file(path))
    restate_sums(release, manifest)
    manifest_path.write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def restate_sums(release: Path, manifest: dict) -> None:
    """The manifest's totals and counts made to agree with its file entries (validate checks
    that they do), the per-rule and per-reason counts read from the tables."""
    import pyarrow.parquet as pq
    from collections import Counter

    totals: dict[str, Counter] = {}
    for entry in manifest["files"]:
        totals.setdefault(entry["table"], Counter()).update(files=1, rows=entry["rows"], bytes=entry["bytes"])
    manifest["totals"] = {table: dict(total) for table, total in totals.items()}
    counts = manifest["counts"]
    for count, table, breakdown, column in (("published", "data", None, None),
                                            ("rejected", "rejects", "rejected_by_reason", "reason"),
                                            ("removed_lines", "removals", "removed_by_rule", "rule")):
        counts[count] = totals.get(table, Counter())["rows"]
        if breakdown and sum(counts[breakdown].values()) != counts[count]:
            values = Counter()
            for entry in manifest["files"]:
                if entry["table"] == table:
                    values.update(pq.read_table(release / entry["path"], columns=[column])[column].to_pylist())
            counts[breakdown] = dict(sorted(values.items()))


def with_column(table, name: str, values: list, type=None, nullable: bool | None = None):
    """`table` with column `name` replaced; its type or nullability changed when given."""
    import pyarrow as pa

    old = table.schema.field(name)
    field = pa.field(name, type or old.type, old.nullable if nullable is None else nullable, old.metadata)
    return table.set_column(table.schema.get_field_index(name), field, pa.array(values, field.type))


def clean_twice(raw: str, url: str | None = None):
    """(the cleaned document, the same text cleaned again), or None when the first is rejected.
    The headline the first pass found is passed on as the input field; a title of last resort
    (the first sentence, when the text had no headline) is not a headline."""
    from newsclean import clean_text

    doc = clean_text(raw, url=url)
    if doc.rejection is not None:
        return None
    headline = doc.title if any(r.family == "title" for r in doc.removals) else None
    return doc, clean_text(doc.text, title=headline, url=url)


@pytest.fixture(scope="module")
def local_ray():
    """A local Ray of 2 CPUs for the tests of one module (the Ray engine's tests)."""
    ray = pytest.importorskip("ray")
    ray.init(num_cpus=2, include_dashboard=False)
    yield
    ray.shutdown()
