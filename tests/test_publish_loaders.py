"""The published release loads with every library the card promises, with the manifest's counts.

Each loader reads both the committed `dist/` (the product) and a fresh build of seeds/; the rows
each returns are compared with pyarrow's and with manifest.json.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from conftest import REPO

KEY_COLUMNS = ("id", "title", "published", "word_count", "content_hash")


@pytest.fixture(params=["dist", "fresh"])
def release(request, seeds_release) -> Path:
    return REPO / "dist" if request.param == "dist" else seeds_release


def manifest(release: Path) -> dict:
    return json.loads((release / "manifest.json").read_text(encoding="utf-8"))


def reference(release: Path) -> list[tuple]:
    """(id, title, published, word_count, content_hash) of every row, read with pyarrow, by id."""
    table = pq.read_table(release / "data", columns=list(KEY_COLUMNS)).sort_by("id")
    return [tuple(row[c] for c in KEY_COLUMNS) for row in table.to_pylist()]


def check_rows(release: Path, rows: list[tuple]) -> None:
    """Rows agree with the manifest's counts and, key for key, with pyarrow."""
    counts = manifest(release)
    assert len(rows) == counts["totals"]["data"]["rows"] == counts["counts"]["published"]
    assert sorted(rows) == reference(release)


def test_pyarrow_table_and_dataset(release):
    table = pq.read_table(release / "data")
    assert table.num_rows == manifest(release)["totals"]["data"]["rows"]
    assert table["id"].to_pylist() == sorted(table["id"].to_pylist())  # published sorted by id
    for row in table.select(["text", "content_hash"]).to_pylist():
        assert hashlib.sha256(row["text"].encode()).hexdigest() == row["content_hash"]
    dataset = ds.dataset(release / "data", format="parquet")
    assert dataset.count_rows() == table.num_rows
    assert dataset.schema.field("title").metadata[b"description"]  # descriptions travel with the data
    for entry in manifest(release)["files"]:
        assert pq.ParquetFile(release / entry["path"]).metadata.num_rows == entry["rows"]


def test_pandas(release):
    import pandas as pd

    frame = pd.read_parquet(release / "data")
    rows = [(r.id, r.title, None if pd.isna(r.published) else r.published.to_pydatetime(),
             int(r.word_count), r.content_hash) for r in frame.itertuples()]
    check_rows(release, rows)


def test_polars(release):
    pl = pytest.importorskip("polars")

    frame = pl.read_parquet(f"{release}/data/*.parquet")
    check_rows(release, list(frame.select(KEY_COLUMNS).iter_rows()))
    removals = pl.read_parquet(f"{release}/removals/*.parquet")
    assert removals.height == manifest(release)["totals"]["removals"]["rows"]


def test_duckdb(release):
    duckdb = pytest.importorskip("duckdb")

    with duckdb.connect() as con:
        rows = con.execute(f"SELECT {', '.join(KEY_COLUMNS)} FROM '{release}/data/*.parquet'").fetchall()
        check_rows(release, rows)
        by_rule = dict(con.execute(f"SELECT rule, count(*) FROM '{release}/removals/*.parquet' "
                                   "GROUP BY rule").fetchall())
    assert by_rule == manifest(release)["counts"]["removed_by_rule"]


@pytest.fixture
def hf_datasets(tmp_path, monkeypatch):
    """`datasets`, offline, with its cache in a temporary folder."""
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    datasets = pytest.importorskip("datasets")
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True, raising=False)
    return datasets


def _hf_rows(split) -> list[tuple]:
    return [tuple(row[c] for c in KEY_COLUMNS) for row in split]


def test_datasets_parquet_files(release, hf_datasets, tmp_path):
    loaded = hf_datasets.load_dataset("parquet", data_files={"train": f"{release}/data/*.parquet"},
                                      cache_dir=str(tmp_path / "cache"))
    check_rows(release, _hf_rows(loaded["train"]))


def test_datasets_folder_through_the_card_configs(release, hf_datasets, tmp_path):
    """`load_dataset(DIR)` reads the card's YAML: the corpus by default, the audit tables by name;
    an audit table without rows has no config (`datasets` cannot read a Parquet file without rows)."""
    corpus = hf_datasets.load_dataset(str(release), split="train", cache_dir=str(tmp_path / "cache"))
    check_rows(release, _hf_rows(corpus))
    totals = manifest(release)["totals"]
    card = (release / "README.md").read_text(encoding="utf-8").split("\n---", 1)[0]
    for config in ("removals", "rejects", "duplicates"):
        if totals[config]["rows"] == 0:
            assert f"config_name: {config}" not in card
            continue
        assert f"config_name: {config}" in card
        table = hf_datasets.load_dataset(str(release), config, split="train", cache_dir=str(tmp_path / "cache"))
        assert table.num_rows == totals[config]["rows"]
