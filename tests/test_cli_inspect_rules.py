"""`newsclean inspect` and `newsclean rules` end to end: on the committed dist/, on a release with a
rejected input and a folded copy, on a terminal (colour, struck-through removals) and off one."""
from __future__ import annotations

import json
import re
import shutil

import pyarrow.dataset as ds
import pytest

from conftest import REPO, cli
from newsclean.cleaning.rules import known_rule_names
from test_cli_progress import run_in_terminal

DIST = REPO / "dist"
SEED = "000_fa4969b52f2499a1"


def _table(release, name, doc_id):
    return ds.dataset(release / name, format="parquet").to_table(filter=ds.field("id") == doc_id).to_pylist()


@pytest.fixture(scope="module")
def mixed_release(tmp_path_factory):
    """A seed, its exact copy under another name (folded), and a binary file (rejected)."""
    inputs = tmp_path_factory.mktemp("inputs")
    shutil.copy(REPO / "seeds" / f"{SEED}.txt", inputs / f"{SEED}.txt")
    shutil.copy(REPO / "seeds" / f"{SEED}.txt", inputs / "zz_copy.txt")
    (inputs / "binary.txt").write_bytes(bytes(range(256)) * 20)
    out = tmp_path_factory.mktemp("release") / "out"
    result = cli("run", str(inputs), "--out", str(out))
    assert result.returncode == 0, result.stderr
    return out


def test_inspect_shows_every_removed_line_with_its_rule_and_every_paragraph_in_input_order():
    result = cli("inspect", str(DIST), SEED)
    assert result.returncode == 0, result.stderr
    assert "\x1b[" not in result.stdout  # plain off a terminal
    (row,) = _table(DIST, "data", SEED)
    removals = _table(DIST, "removals", SEED)
    shown = re.findall(r"^\s*(\d+) (- |  )(.*)$", result.stdout, re.MULTILINE)
    removed = [(int(n), text) for n, mark, text in shown if mark == "- "]
    kept = [(int(n), text) for n, mark, text in shown if mark == "  "]
    assert removed == [(r["line"], f"{r['text']}  [{r['rule']}/{r['family']}]") for r in removals]
    assert kept == list(zip(row["paragraph_lines"], row["text"].split("\n\n")))
    numbers = [int(n) for n, _, _ in shown]
    assert numbers == sorted(numbers)
    assert f"title: {row['title']}" in result.stdout


def test_inspect_on_a_terminal_strikes_removed_lines_through():
    code, screen = run_in_terminal("inspect", str(DIST), SEED)
    assert code == 0, screen
    crossed_out = re.findall(r"\x1b\[(?:\d+;)*9(?:;\d+)*m([^\x1b]*)", screen)  # SGR 9
    assert crossed_out == [r["text"] for r in _table(DIST, "removals", SEED)]


def test_inspect_a_rejected_and_a_folded_document(mixed_release):
    rejected = cli("inspect", str(mixed_release), "binary")
    assert rejected.returncode == 0, rejected.stderr
    assert "binary: rejected" in rejected.stdout and "reason: binary" in rejected.stdout
    folded = cli("inspect", str(mixed_release), "zz_copy")
    assert folded.returncode == 0, folded.stderr
    assert f"folded into {SEED} (exact copy" in folded.stdout


def test_inspect_unknown_id_and_not_a_release(tmp_path):
    missing = cli("inspect", str(DIST), "no-such-id")
    assert missing.returncode == 1 and "no document 'no-such-id'" in missing.stderr
    elsewhere = cli("inspect", str(tmp_path), SEED)
    assert elsewhere.returncode == 2 and "not a newsclean release" in elsewhere.stderr


def test_rules_lists_every_name_disable_takes_with_an_example():
    listing = cli("rules", "--format", "json")
    assert listing.returncode == 0, listing.stderr
    payload = json.loads(listing.stdout)
    names = {rule["name"] for rule in payload["rules"]} | set(payload["families"])
    assert known_rule_names() <= names
    assert all(rule["example"] and rule["where"] for rule in payload["rules"])
    assert [rule["order"] for rule in payload["rules"]] == list(range(1, len(payload["rules"]) + 1))
    text = cli("rules")
    assert text.returncode == 0
    for name in known_rule_names():
        assert re.search(rf"(^|\s){re.escape(name)}(:|\s)", text.stdout), name


def test_an_unknown_disable_name_is_an_error_naming_the_closest_rule(tmp_path):
    result = cli("run", str(REPO / "seeds"), "--out", str(tmp_path / "out"), "--disable", "relatedlink")
    assert result.returncode == 2 and "did you mean 'related_link'?" in result.stderr
