"""`newsclean report` and the report.html every release carries: self-contained (no script, no
network), reproducible, and every plot rendered in a real headless Chromium without console
errors. The browser tests need Debian's chromium and playwright; under CI (CI=true) they must run."""
from __future__ import annotations

import json
import os
import re
import shutil

import pytest

from conftest import REPO, cli
from test_cli_conventions import FAILED_CHECK, FUTURE
from newsclean.report import report_html

DIST = REPO / "dist"
PLOTS = ["removals-by-family", "removals-by-rule", "length", "published", "sources", "languages",
         "rejects", "duplicate-clusters"]


@pytest.fixture(scope="module")
def busy_release(tmp_path_factory):
    """Seeds, two exact copies of one (a duplicate cluster), a binary file and an article from the
    future (rejects: binary, and schema failing date_in_range)."""
    inputs = tmp_path_factory.mktemp("inputs")
    for seed in sorted((REPO / "seeds").glob("*.txt")):
        shutil.copy(seed, inputs / seed.name)
    first = sorted((REPO / "seeds").glob("*.txt"))[0]
    shutil.copy(first, inputs / "zz_copy_1.txt")
    shutil.copy(first, inputs / "zz_copy_2.txt")
    (inputs / "binary.txt").write_bytes(bytes(range(256)) * 20)
    (inputs / "rows.jsonl").write_text(json.dumps(FUTURE) + "\n", encoding="utf-8")
    out = tmp_path_factory.mktemp("release") / "out"
    result = cli("run", str(inputs), "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out


def test_every_release_carries_its_report_and_the_card_links_it(busy_release):
    assert (busy_release / "report.html").read_text(encoding="utf-8") == report_html(busy_release)
    assert (DIST / "report.html").read_text(encoding="utf-8") == report_html(DIST)
    assert "[`report.html`](report.html)" in (DIST / "README.md").read_text(encoding="utf-8")
    assert cli("validate", str(busy_release)).returncode == 0
    card = (busy_release / "README.md").read_text(encoding="utf-8")
    assert f"| schema | {FAILED_CHECK} | 1 |" in card and "| binary | — | 1 |" in card
    page = (busy_release / "report.html").read_text(encoding="utf-8")
    assert f"schema ({FAILED_CHECK})" in page


def test_the_report_command_writes_a_self_contained_page(busy_release, tmp_path):
    out = tmp_path / "page.html"
    result = cli("report", str(busy_release), "--out", str(out))
    assert result.returncode == 0, result.stderr
    page = out.read_text(encoding="utf-8")
    assert page == (busy_release / "report.html").read_text(encoding="utf-8")
    assert "<script" not in page and not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert re.findall(r'data-plot="([^"]+)"', page) == PLOTS
    assert cli("report", str(tmp_path), "--out", str(out)).returncode == 2


def _browser():
    """(playwright, chromium path), or a skip (a failure under CI) when either is missing."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None
    if chromium is None or sync_playwright is None:
        missing = "chromium (apt-get install chromium)" if chromium is None else "playwright"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{missing} is required under CI")
        pytest.skip(f"{missing} is not installed")
    return sync_playwright, chromium


@pytest.mark.parametrize("release", ["dist", "busy"])
def test_the_report_renders_every_plot_in_headless_chromium(release, busy_release):
    sync_playwright, chromium = _browser()
    folder = DIST if release == "dist" else busy_release
    errors, requests = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("request", lambda request: requests.append(request.url))
            page.goto((folder / "report.html").as_uri(), wait_until="load")
            plots = page.evaluate("""() => [...document.querySelectorAll('figure.plot')].map(figure => {
                const svg = figure.querySelector('svg'); const box = svg ? svg.getBoundingClientRect() : null;
                return {name: figure.dataset.plot, width: box ? box.width : 0, height: box ? box.height : 0,
                        bars: svg ? svg.querySelectorAll('rect').length : 0,
                        empty: svg ? svg.querySelectorAll('text.empty').length : 0};
            })""")
            struck = page.evaluate("() => document.querySelectorAll('ol.doc del').length")
        finally:
            browser.close()
    assert errors == []
    assert all(url.startswith("file://") for url in requests), requests
    assert [plot["name"] for plot in plots] == PLOTS
    for plot in plots:
        assert plot["width"] > 0 and plot["height"] > 0, plot
        assert plot["bars"] > 0 or plot["empty"] == 1, plot
    drawn = {plot["name"] for plot in plots if plot["bars"]}
    assert {"removals-by-family", "removals-by-rule", "length", "languages"} <= drawn
    if release == "busy":
        assert {"rejects", "duplicate-clusters"} <= drawn
    assert struck > 0
