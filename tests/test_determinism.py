"""Every published byte is the same whatever the input order, batch size, spill size, merge batch
and worker count (a release is a function of the input documents and the options only)."""
from __future__ import annotations

import dataclasses
import json
import random
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newsclean import run
from newsclean.options import Options
from newsclean.publish import shards

WORDS = ("council budget river bridge school teachers vote city mayor market farmers harvest storm "
         "rain roads hospital nurses museum library police station train airport flights company "
         "workers wages union energy prices winter water engineers park residents festival music "
         "minister election voters district court judge study university students research").split()
FOOTERS = {"alpha": "The Alpha Ledger is printed and published in Springfield by Alpha Media Group.",
           "beta": "Beta Courier: independent journalism from the river valley since 1921.",
           "gamma": "Gamma Times readers can send their letters to the desk on Harbour Street."}
# lines the rules remove, spread through each article; the site footer (a template line the
# corpus stage removes) comes after them, so one id's removals sit in two sorted runs
CHROME = ["[ad_1]", "Advertisement", "Story continues below", "Source link"]


def _paragraph(rng: random.Random) -> str:
    return " ".join(" ".join(rng.choice(WORDS) for _ in range(rng.randint(12, 18))).capitalize() + "."
                    for _ in range(2))


def _corpus(folder: Path) -> list[Path]:
    """Three sources with chrome lines and footers, a story syndicated to all three (one exact
    copy, one near copy) and records that cannot be read (rejects)."""
    rng = random.Random(18)
    wire = [_paragraph(rng) for _ in range(6)]
    paths = []
    for site, footer in FOOTERS.items():
        lines = []
        for n in range(24):
            body = [_paragraph(rng) for _ in range(4)]
            for at, chrome in zip((0, 2, 4, 5), CHROME[: 1 + n % 4]):
                body.insert(at, chrome)
            lines.append(json.dumps({"id": f"{site}-{n:02d}", "url": f"https://{site}.example/news/{n}",
                                     "text": "\n\n".join(body + [footer])}))
            if n % 9 == 4:
                lines.append('{"id": "broken", "text": ')  # a bad record
        story = wire if site != "gamma" else wire[:3] + [wire[3].replace(".", ", officials said.", 1)] + wire[4:]
        lines.append(json.dumps({"id": f"wire-{site}", "url": f"https://{site}.example/wire",
                                 "text": "\n\n".join(story + [footer])}))
        path = folder / f"{site}.jsonl"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def _release_bytes(out: Path) -> dict[str, bytes]:
    return {path.relative_to(out).as_posix(): path.read_bytes() for path in sorted(out.rglob("*"))
            if path.is_file()}


# (input order, batch_docs, workers, spill bytes, merge batch rows, merge fan-in)
VARIANTS = [((2, 0, 1), 5, 2, 1, 3, 3),  # every batch its own run; merges cut ids' removals
            ((1, 2, 0), 1, 1, 1, 2, 8),
            ((0, 2, 1), 13, 2, 20_000, 7, 2)]


def test_every_published_byte_is_the_same_whatever_the_order_and_sizes(tmp_path, monkeypatch):
    import newsclean.publish.runs as release_runs
    import newsclean.publish.shards as shards

    (tmp_path / "in").mkdir()
    inputs = _corpus(tmp_path / "in")
    reference = tmp_path / "reference"
    summary = run(inputs, reference, Options())
    corpus = summary.corpus.counts()  # the corpus has what the test is about
    assert corpus["duplicates_folded"] == 2 and corpus["template_lines"] == 3 * 24 + 1
    assert summary.rejected == 9 and summary.removed_lines > 3 * 24 * 2
    expected = _release_bytes(reference)
    assert {"manifest.json", "README.md", "croissant.json"} <= set(expected)
    for number, (order, batch_docs, workers, spill, merge_rows, fan_in) in enumerate(VARIANTS):
        with monkeypatch.context() as patch:
            patch.setattr(release_runs, "SPILL_BYTES", spill)
            patch.setattr(shards, "MERGE_BATCH_ROWS", merge_rows)
            patch.setattr(shards, "MAX_MERGE_RUNS", fan_in)
            out = tmp_path / f"variant-{number}"
            run([inputs[i] for i in order], out, dataclasses.replace(Options(), batch_docs=batch_docs,
                                                                    workers=workers))
        got = _release_bytes(out)
        assert sorted(got) == sorted(expected)
        differ = [name for name in expected if got[name] != expected[name]]
        assert not differ, f"variant {number}: these files differ from the reference: {differ}"


def test_the_cli_publishes_the_same_bytes_in_any_input_order(tmp_path):
    from conftest import cli

    (tmp_path / "in").mkdir()
    inputs = _corpus(tmp_path / "in")
    outs = []
    for name, paths in (("forward", inputs), ("backward", inputs[::-1])):
        result = cli("run", *map(str, paths), "--out", str(tmp_path / name))
        assert result.returncode == 0, result.stderr
        outs.append(_release_bytes(tmp_path / name))
    assert outs[0] == outs[1]


MERGE_SCHEMA = pa.schema([("id", pa.string()), ("line", pa.int64()), ("run", pa.int64())])


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abcd"), st.integers(1, 6)), max_size=60),
       st.lists(st.integers(0, 60), max_size=4), st.integers(1, 5))
def test_merge_batches_that_cut_an_id_keep_whole_key_order(tmp_path_factory, rows, cuts, batch_rows):
    """Runs read a few rows at a time, so an id's rows straddle the batches of its runs: the
    merge is still every run's rows, run after run, stably sorted by the whole key."""
    folder = tmp_path_factory.mktemp("runs")
    bounds = [0, *sorted(cuts), len(rows)]
    options = shards.PublishOptions(compression="zstd", compression_level=1, row_group_rows=3)
    tables, paths = [], []
    for number, (lo, hi) in enumerate(zip(bounds, bounds[1:])):
        table = pa.Table.from_pylist([{"id": i, "line": n, "run": number} for i, n in rows[lo:hi]],
                                     schema=MERGE_SCHEMA)
        path = folder / f"run-{number:03d}.parquet"
        shards.write_parquet(shards.sort_table(table, ("id", "line")), path, options)
        tables.append(table)
        paths.append(path)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(shards, "MERGE_BATCH_ROWS", batch_rows)
        merged = pa.concat_tables([MERGE_SCHEMA.empty_table(),
                                   *shards.merge_runs(paths, ("id", "line"), MERGE_SCHEMA)])
    assert merged.equals(shards.sort_table(pa.concat_tables(tables), ("id", "line")))
