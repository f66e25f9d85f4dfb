"""The numbers the report plots, read from a release's tables (a few columns at a time)."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds

LENGTH_BINS = (0, 50, 100, 200, 400, 800, 1600, 3200)  # words; the last bin is open
CLUSTER_BINS = (2, 3, 4, 5, 10)  # articles per duplicate cluster; the last bin is open
TOP = 20  # most bars in a ranking (sources, rules)
SAMPLE = 5  # documents shown with their removals


def _read(release: Path, table: str, columns: list[str]) -> pa.Table:
    folder = release / table
    if not folder.is_dir():
        return pa.table({name: pa.array([], pa.string()) for name in columns})
    return ds.dataset(folder, format="parquet").to_table(columns=columns)


def _counts(values) -> list[tuple[str, int]]:
    """(value, count), most frequent first, ties by value: the same order for the same data."""
    return sorted(Counter(values).items(), key=lambda item: (-item[1], item[0]))


def _bin_labels(bins: tuple[int, ...], unit: str) -> list[str]:
    return [f"{low}-{high - 1}" for low, high in zip(bins, bins[1:])] + [f"{bins[-1]}+ {unit}"]


def _binned(values, bins: tuple[int, ...]) -> list[int]:
    counts = [0] * len(bins)
    for value in values:
        index = sum(1 for low in bins if value >= low) - 1
        counts[max(index, 0)] += 1
    return counts


@dataclass
class ReportData:
    documents: int = 0
    words: int = 0
    removals_by_family: list = field(default_factory=list)
    removals_by_rule: list = field(default_factory=list)
    length_labels: list = field(default_factory=list)
    length_before: list = field(default_factory=list)
    length_after: list = field(default_factory=list)
    published_months: list = field(default_factory=list)  # (YYYY-MM, articles), in time order
    published_unknown: int = 0
    sources: list = field(default_factory=list)
    languages: list = field(default_factory=list)
    rejects: list = field(default_factory=list)  # ("reason (check)", count)
    cluster_labels: list = field(default_factory=list)
    cluster_sizes: list = field(default_factory=list)
    sample_ids: list = field(default_factory=list)

    @classmethod
    def read(cls, release: Path) -> "ReportData":
        data = _read(release, "data", ["id", "word_count", "published", "source", "language", "removed_lines"])
        removals = _read(release, "removals", ["id", "rule", "family", "text"])
        report = cls(documents=data.num_rows, words=int(pc.sum(data["word_count"]).as_py() or 0))
        report.removals_by_family = _counts(removals["family"].to_pylist())
        report.removals_by_rule = _counts(removals["rule"].to_pylist())[:TOP]
        report._lengths(data, removals)
        published = data["published"].to_pylist()
        report.published_unknown = sum(1 for value in published if value is None)
        report.published_months = sorted(Counter(value.strftime("%Y-%m") for value in published if value).items())
        report.sources = _counts(value or "(unknown)" for value in data["source"].to_pylist())[:TOP]
        report.languages = _counts(data["language"].to_pylist())
        rejects = _read(release, "rejects", ["reason", "checks"]).to_pylist()
        report.rejects = _counts(f"{row['reason']} ({check})" if check else row["reason"]
                                 for row in rejects for check in (row["checks"] or [None]))
        report._clusters(_read(release, "duplicates", ["cluster"]))
        report._sample(data)
        return report

    def _lengths(self, data: pa.Table, removals: pa.Table) -> None:
        """Words per article as published, and with its removed lines put back."""
        after = dict(zip(data["id"].to_pylist(), data["word_count"].to_pylist()))
        removed = Counter()
        if removals.num_rows:
            words = pc.list_value_length(pc.utf8_split_whitespace(removals["text"])).to_pylist()
            for doc_id, count in zip(removals["id"].to_pylist(), words):
                removed[doc_id] += count
        self.length_labels = _bin_labels(LENGTH_BINS, "words")
        self.length_after = _binned(after.values(), LENGTH_BINS)
        self.length_before = _binned((n + removed[doc_id] for doc_id, n in after.items()), LENGTH_BINS)

    def _clusters(self, duplicates: pa.Table) -> None:
        sizes = [copies + 1 for copies in Counter(duplicates["cluster"].to_pylist()).values()]
        self.cluster_labels = [str(n) for n in CLUSTER_BINS[:-1]] + [f"{CLUSTER_BINS[-1]}+"]
        self.cluster_labels[-2] = f"{CLUSTER_BINS[-2]}-{CLUSTER_BINS[-1] - 1}"
        self.cluster_sizes = _binned(sizes, CLUSTER_BINS)

    def _sample(self, data: pa.Table) -> None:
        """Up to SAMPLE articles that lost lines, spread evenly over the id order (data/ is
        sorted by id, so the choice does not depend on the input's order)."""
        ids = sorted(doc_id for doc_id, n in zip(data["id"].to_pylist(), data["removed_lines"].to_pylist()) if n)
        if ids:
            step = len(ids) / min(SAMPLE, len(ids))
            self.sample_ids = [ids[int(i * step)] for i in range(min(SAMPLE, len(ids)))]
