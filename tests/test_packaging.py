"""The distribution installs one import name, `newsclean` (folders pipeline/ and schemas/ mapped
onto it), holding every module and data file of the checkout; nothing generic at the top level."""
from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import REPO, _env

FOLDERS = {"pipeline": "newsclean", "schemas": "newsclean/schemas"}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel `pip install .` installs, built from a copy of what the build reads (a build/
    folder left in the checkout by an older layout would otherwise leak into it)."""
    source, out = tmp_path_factory.mktemp("source"), tmp_path_factory.mktemp("wheel")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, source / name)
    for folder in FOLDERS:
        shutil.copytree(REPO / folder, source / folder, ignore=shutil.ignore_patterns("__pycache__"))
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(source)],
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0 and "Could not find a version that satisfies" in done.stderr:
        pytest.skip("no package index to fetch the build backend from")
    assert done.returncode == 0, done.stderr
    (path,) = out.glob("newsclean-*.whl")
    return path


def test_the_wheel_has_newsclean_and_nothing_else_at_the_top(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names}
    assert tops == {"newsclean", wheel.name.split("-py")[0] + ".dist-info"}
    entry_points = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("entry_points.txt")))
    assert b"newsclean = newsclean.cli:entry" in entry_points


def test_the_wheel_holds_every_module_and_data_file_of_the_checkout(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = []
    for folder, package in FOLDERS.items():
        for path in (REPO / folder).rglob("*"):
            relative = path.relative_to(REPO / folder)
            if path.is_dir() or "__pycache__" in path.parts or path.suffix == ".pyc":
                continue
            if f"{package}/{relative.as_posix()}" not in names:
                missing.append(f"{folder}/{relative.as_posix()}")
    assert not missing, f"left out of the wheel (pyproject.toml packages / package-data): {missing}"


def test_installed_newsclean_imports_and_runs_with_no_generic_names(wheel, tmp_path):
    """Installed alone into a folder, outside the checkout: `import newsclean` and `python -m
    newsclean` work from there, and `pipeline` / `schemas` are not importable names."""
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True, capture_output=True, timeout=300)
    assert sorted(p.name for p in target.iterdir() if not p.name.endswith(".dist-info")) == ["bin", "newsclean"]
    env = {**_env(), "PYTHONPATH": str(target)}
    probe = ("import importlib.util, newsclean, newsclean.schemas\n"
             "print(newsclean.__file__)\n"
             "print(importlib.util.find_spec('pipeline'), importlib.util.find_spec('schemas'))\n"
             "print(newsclean.clean_text('Headline here\\n\\nOne sentence of news text that is long enough.').text)\n")
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    where, generic, _ = done.stdout.split("\n", 2)
    assert Path(where).is_relative_to(target)
    assert generic == "None None"
    for command in ([sys.executable, "-m", "newsclean"], [str(target / "bin" / "newsclean")]):
        done = subprocess.run([*command, "validate", str(tmp_path / "nowhere")], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 2 and "nowhere" in done.stderr, (command, done.stderr)


def test_python_m_pipeline_in_a_checkout_says_what_to_run():
    """The folder name is not an import name: `python -m pipeline` (which would load the checkout's
    folder beside the installed package) stops with what to run instead."""
    done = subprocess.run([sys.executable, "-m", "pipeline", "--version"], cwd=REPO, env=_env(),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "python3 -m newsclean" in done.stderr and done.stdout == ""


def test_ray_is_the_optional_extra_newsclean_ray(wheel, tmp_path):
    """Ray is no dependency of newsclean but its extra, `pip install 'newsclean[ray]'`: without
    Ray the package imports and `--engine local` runs, and `--engine ray` stops saying what to
    install."""
    names = zipfile.ZipFile(wheel).namelist()
    metadata = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith(".dist-info/METADATA")))
    lines = metadata.decode("utf-8").splitlines()
    assert "Provides-Extra: ray" in lines
    on_ray = [line for line in lines if line.startswith("Requires-Dist: ray")
              and line[len("Requires-Dist: ray"):][:1] in ("", " ", ">", "=", "<", "~", "!", "[", ";")]
    assert any('extra == "ray"' in line for line in on_ray), on_ray
    assert all("extra ==" in line for line in on_ray), f"Ray must stay optional: {on_ray}"
    # this interpreter with Ray made unimportable, as an install without the extra
    source = tmp_path / "news.jsonl"
    source.write_text('{"id": "a", "text": "Headline here\\n\\nOne sentence of news text that is long '
                      'enough to keep, and another one after it."}\n', encoding="utf-8")
    probe = ("import sys\nsys.modules['ray'] = None\nfrom newsclean.cli import main\n"
             "sys.exit(main(sys.argv[1:]))\n")
    without = [sys.executable, "-c", probe, "run", str(source)]
    done = subprocess.run([*without, "--out", str(tmp_path / "ray"), "--engine", "ray"], cwd=tmp_path,
                          env=_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and "pip install 'newsclean[ray]'" in done.stderr, done.stderr
    assert not (tmp_path / "ray").exists()
    done = subprocess.run([*without, "--out", str(tmp_path / "local")], cwd=tmp_path, env=_env(),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "local" / "manifest.json").is_file()


def test_under_ci_the_ray_and_object_store_tests_cannot_be_skipped():
    """Their modules skip without Ray or moto; under CI (CI=true) that is an error instead, so CI
    always runs `--engine ray` against `--engine local`."""
    from conftest import missing_under_ci

    def nothing(name):
        return None

    def found(name):
        return object()

    assert missing_under_ci({"CI": "true"}, nothing) == ["ray", "moto.server"]
    assert missing_under_ci({"CI": "true"}, found) == []
    assert missing_under_ci({}, nothing) == []
