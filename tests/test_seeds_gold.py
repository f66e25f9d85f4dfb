"""The seeds, through the public `run` command, against the gold labels: every line right."""
from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from scoring import normalise, score


@pytest.fixture(scope="module")
def published(seeds_release):
    table = pq.read_table(seeds_release / "data")
    return {row["id"]: row for row in table.to_pylist()}


def test_every_boilerplate_line_removed_and_every_content_line_kept(gold, published):
    for doc in gold:
        result = score(doc["lines"], published[doc["id"]]["text"])
        assert result["missed"] == [], f"{doc['id']}: boilerplate left in the text"
        assert result["lost"] == [], f"{doc['id']}: content lost"


def test_titles_dates_authors_credits_match_gold(gold, published):
    for doc in gold:
        row, want = published[doc["id"]], doc["metadata"]
        assert normalise(row["title"]) == normalise(want["title"]), doc["id"]
        got_date = row["published"].isoformat() if row["published"] else None
        assert got_date == want["published"], doc["id"]
        assert row["author"] == want["author"], doc["id"]
        assert row["credits"] == want["credits"], doc["id"]


def test_split_paragraphs_are_joined(gold, published):
    for doc in gold:
        text = {l["n"]: l["text"] for l in doc["lines"]}
        paragraphs = [normalise(p) for p in published[doc["id"]]["text"].split("\n\n")]
        for first, second in doc["joins"]:
            joined = normalise(text[first] + " " + text[second])
            assert joined in paragraphs, f"{doc['id']}: lines {first}+{second} not joined"


def test_text_layout(published):
    for row in published.values():
        assert "\n\n\n" not in row["text"] and not row["text"].startswith(("\n", " "))
        assert row["title"] not in row["text"].split("\n\n")


def test_removals_record_rule_line_and_text(gold, seeds_release):
    removals = pq.read_table(seeds_release / "removals").to_pylist()
    by_doc = {}
    for r in removals:
        by_doc.setdefault(r["id"], {})[r["line"]] = r
    for doc in gold:
        for line in doc["lines"]:
            if line["label"] in ("keep",):
                assert line["n"] not in by_doc.get(doc["id"], {})
            else:
                removal = by_doc[doc["id"]][line["n"]]
                assert normalise(removal["text"]) == normalise(line["text"])
                assert removal["rule"] and removal["family"]
