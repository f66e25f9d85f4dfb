"""An id given more than once is decided by input position, not by reading order: the row of the
first file in canonical order (then the first in that file) is published, the others rejected as
`duplicate`, and only the published row's removals are kept; whatever the order of the inputs, the
batch size, the spill and merge sizes or the number of workers, every published byte is the same."""
from __future__ import annotations

import dataclasses
import itertools
import json
import random
from pathlib import Path

import pyarrow.parquet as pq

from newsclean import run
from newsclean.options import Options

WORDS = ("council budget river bridge school teachers vote city mayor market farmers harvest storm "
         "rain roads hospital nurses museum library police station train airport flights company "
         "workers wages union energy prices winter water engineers park residents festival music").split()


def _paragraph(rng: random.Random) -> str:
    return " ".join(" ".join(rng.choice(WORDS) for _ in range(rng.randint(12, 18))).capitalize() + "."
                    for _ in range(2))


def _article(rng: random.Random, chrome: list[str]) -> str:
    body = [_paragraph(rng) for _ in range(4)]
    for at, line in zip((1, 3), chrome):
        body.insert(at, line)
    return "\n\n".join(body)


def _inputs(folder: Path) -> tuple[list[Path], dict[str, str], set[str]]:
    """Three files sharing ids. Returns the files, the provenance each published id must have, and
    the removed lines the published rows of the repeated ids must have (no others)."""
    rng = random.Random(7)
    same = _article(rng, ["Story continues below"])  # x4: the same id and the same text twice
    files = {
        "c.jsonl": [("u-c1", _article(rng, ["Advertisement"])), ("x1", _article(rng, ["Source link", "[ad_1]"])),
                    ("x4", same)],
        "a.jsonl": [("x1", _article(rng, ["Advertisement"])), ("x2", _article(rng, [])),
                    ("x3", _article(rng, [])), ("u-a1", _article(rng, [])),
                    ("x3", _article(rng, ["Source link"])), ("u-a2", _article(rng, ["[ad_1]"]))],
        "b.jsonl": [("x2", _article(rng, ["Story continues below", "Source link"])),
                    ("x1", _article(rng, ["[ad_1]"])), ("x4", same), ("u-b1", _article(rng, []))],
    }
    paths = []
    for name, rows in files.items():
        path = folder / name
        path.write_text("".join(json.dumps({"id": i, "url": f"https://{name[0]}.example/{n}", "text": t}) + "\n"
                                for n, (i, t) in enumerate(rows)), encoding="utf-8")
        paths.append(path)
    winners = {"x1": "a.jsonl:1", "x2": "a.jsonl:2", "x3": "a.jsonl:3", "x4": "b.jsonl:3",
               "u-a1": "a.jsonl:4", "u-a2": "a.jsonl:6", "u-b1": "b.jsonl:4", "u-c1": "c.jsonl:1"}
    removed = {("x1", "Advertisement"), ("x4", "Story continues below")}
    return paths, winners, removed


def _release_bytes(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def _rows(out: Path, table: str) -> list[dict]:
    return [row for path in sorted((out / table).glob("*.parquet")) for row in pq.read_table(path).to_pylist()]


def test_repeated_ids_are_decided_by_input_position_in_any_order(tmp_path, monkeypatch):
    import newsclean.publish.runs as release_runs
    import newsclean.publish.shards as shards

    (tmp_path / "in").mkdir()
    paths, winners, removed = _inputs(tmp_path / "in")
    monkeypatch.chdir(tmp_path / "in")  # provenance: the file names
    reference = None
    # every order of the files; one worker or two, batches of 1, 2 or all, spills of every batch
    # or none, merges reading 1 or 512 rows a run at a time
    sizes = [(1, 500, 16 << 20, 512), (2, 1, 1, 1), (1, 2, 1, 3), (2, 500, 1, 512)]
    for number, order in enumerate(itertools.permutations(paths)):
        for workers, batch_docs, spill, merge_rows in (sizes[number % 4], sizes[(number + 1) % 4]):
            out = tmp_path / f"out-{number}-{workers}-{batch_docs}"
            with monkeypatch.context() as patch:
                patch.setattr(release_runs, "SPILL_BYTES", spill)
                patch.setattr(shards, "MERGE_BATCH_ROWS", merge_rows)
                summary = run(list(order), out, dataclasses.replace(Options(), workers=workers,
                                                                    batch_docs=batch_docs))
            assert (summary.read, summary.published, summary.rejected) == (13, 8, 5)
            assert summary.rejected_by_reason == {"duplicate": 5}
            if reference is None:
                reference = _release_bytes(out)
                data = _rows(out, "data")
                assert {r["id"]: r["provenance"] for r in data} == winners
                rejects = _rows(out, "rejects")
                assert [(r["id"], r["provenance"], r["reason"], r["checks"]) for r in rejects] == [
                    ("x1", "b.jsonl:2", "duplicate", ["id: unique"]),
                    ("x1", "c.jsonl:2", "duplicate", ["id: unique"]),
                    ("x2", "b.jsonl:1", "duplicate", ["id: unique"]),
                    ("x3", "a.jsonl:5", "duplicate", ["id: unique"]),
                    ("x4", "c.jsonl:3", "duplicate", ["id: unique"])]
                removals = {(r["id"], r["text"]) for r in _rows(out, "removals") if r["id"][0] == "x"}
                assert removals == removed  # the published rows' own removals, none of the others'
                manifest = json.loads((out / "manifest.json").read_text())
                assert manifest["counts"]["rejected_by_reason"] == {"duplicate": 5}
            else:
                got = _release_bytes(out)
                assert [n for n in reference if got.get(n) != reference[n]] == [] and got.keys() == reference.keys()


def test_the_cli_decides_repeated_ids_the_same_with_a_file_given_twice(tmp_path):
    from conftest import cli

    (tmp_path / "in").mkdir()
    paths, winners, _ = _inputs(tmp_path / "in")
    outs = {}
    for name, args in (("once", [paths[1], paths[2], paths[0]]),
                       ("twice", [paths[2], paths[1], paths[0], paths[1]])):
        result = cli("run", *map(str, args), "--out", str(tmp_path / name), "--workers", "2", cwd=tmp_path / "in")
        assert result.returncode == 0, result.stderr
        outs[name] = tmp_path / name
    once, twice = (_rows(outs[n], "data") for n in ("once", "twice"))
    assert once == twice and {r["id"]: r["provenance"] for r in once} == winners
    assert _rows(outs["once"], "removals") == _rows(outs["twice"], "removals")
    # a.jsonl read twice: each of its 6 rows is a repeat of itself, the 5 repeats above stay
    rejects = _rows(outs["twice"], "rejects")
    assert len(rejects) == 5 + 6 and {r["reason"] for r in rejects} == {"duplicate"}
