"""The Python API: clean_text, run, load_corpus."""
from __future__ import annotations

import pyarrow as pa
import pytest

from conftest import REPO
from newsclean import InvalidCorpus, clean_text, load_corpus, run

COLUMNS = {"id", "title", "text", "published", "author", "credits", "url", "language", "word_count"}


def test_clean_text_returns_text_metadata_and_removals():
    raw = ("Home » World\n\nBig storm hits the coast\n\nBig storm hits the coast\n\n[ad_1]\n\nBy Jane Doe\n\n"
           "June 18, 2023\n\nThe storm reached the coast on Sunday night, cutting power to thousands "
           "of homes.\n\nOfficials said repairs would take a week.\n\n(With AP inputs)\n\nSource link\n")
    doc = clean_text(raw)
    assert doc.rejection is None
    assert doc.title == "Big storm hits the coast"
    assert doc.text == ("The storm reached the coast on Sunday night, cutting power to thousands of homes."
                        "\n\nOfficials said repairs would take a week.")
    assert doc.author == "Jane Doe" and doc.credits == ["AP"] and doc.language == "en"
    assert doc.published.isoformat() == "2023-06-18T00:00:00"
    assert {r.family for r in doc.removals} == {
        "breadcrumb", "title", "duplicate_title", "ad_marker", "byline", "dateline", "credit", "source_link"}


def test_clean_text_given_fields_win():
    doc = clean_text("Some headline\n\nThe mayor opened the bridge on Friday, ending years of works.",
                     title="Some headline", author="Jo Roe", published="2024-01-02T03:04:05+01:00",
                     url="https://example.org/a")
    assert doc.author == "Jo Roe" and doc.url == "https://example.org/a"
    assert doc.published.isoformat() == "2024-01-02T03:04:05" and doc.published_utc_offset == "+01:00"
    assert doc.text.startswith("The mayor")


def test_load_corpus_reads_dist():
    table = load_corpus(REPO / "dist")
    assert isinstance(table, pa.Table)
    assert table.num_rows == 5 and COLUMNS <= set(table.column_names)
    assert table.column("id").to_pylist() == sorted(table.column("id").to_pylist())


def test_run_api_and_load_corpus_refuses_invalid(tmp_path):
    summary = run([REPO / "seeds"], tmp_path / "dist")
    assert summary.published == 5 and summary.rejected == 0 and summary.removed_lines > 40
    shard = next((tmp_path / "dist" / "data").glob("*.parquet"))
    shard.write_bytes(shard.read_bytes()[:-100])
    with pytest.raises(InvalidCorpus):
        load_corpus(tmp_path / "dist")
