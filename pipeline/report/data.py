"""The numbers the report plots, read from a release's tables (a few columns at a time)."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import pyarrow as pa
import pyarrow.compute as pc

LENGTH_BINS = (0, 50, 100, 200, 400, 800, 1600, 3200)  # words; the last bin is open
CLUSTER_BINS = (2, 3, 4, 5, 10)  # articles per duplicate cluster; the last bin is open
TOP = 20  # most bars in a ranking (sources, rules)
SAMPLE = 5  # documents shown with their removals


def _batches(release: Path, table: str, columns: list[str]) -> Iterator[pa.RecordBatch]:
    """The table's record batches in id order, a file at a time (memory flat in corpus size)."""
    from ..publish.card import table_batches

    folder = release / table
    return table_batches(folder, columns) if folder.is_dir() else iter(())


def _removed_words(release: Path) -> Iterator[tuple[str, int]]:
    """(id, words on its removed lines), in id order: removals/ is sorted by (id, line)."""
    current, words = None, 0
    for batch in _batches(release, "removals", ["id", "text"]):
        counts = pc.list_value_length(pc.utf8_split_whitespace(batch["text"])).to_pylist()
        for doc_id, count in zip(batch["id"].to_pylist(), counts):
            if doc_id != current:
                if current is not None:
                    yield current, words
                current, words = doc_id, 0
            words += count
    if current is not None:
        yield current, words


def _counts(counter: Counter) -> list[tuple[str, int]]:
    """(value, count), most frequent first, ties by value: the same order for the same data."""
    return sorted(counter.items(), key=lambda item: (-item[1], item[0]))


def _bin_labels(bins: tuple[int, ...], unit: str) -> list[str]:
    return [f"{low}-{high - 1}" for low, high in zip(bins, bins[1:])] + [f"{bins[-1]}+ {unit}"]


def _bin(value: int, bins: tuple[int, ...]) -> int:
    """Index of the bin holding `value` (bins: ascending lower bounds; the last is open)."""
    return max(0, sum(1 for low in bins if value >= low) - 1)


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
        report = cls()
        families, rules, months, sources, languages = Counter(), Counter(), Counter(), Counter(), Counter()
        for batch in _batches(release, "removals", ["rule", "family"]):
            families.update(batch["family"].to_pylist())
            rules.update(batch["rule"].to_pylist())
        before, after, with_removals = [0] * len(LENGTH_BINS), [0] * len(LENGTH_BINS), 0
        removed = _removed_words(release)
        pending = next(removed, None)
        columns = ["id", "word_count", "published", "source", "language", "removed_lines"]
        for batch in _batches(release, "data", columns):
            rows = batch.to_pydict()
            for doc_id, words, published in zip(rows["id"], rows["word_count"], rows["published"]):
                while pending is not None and pending[0] < doc_id:  # both tables are sorted by id
                    pending = next(removed, None)
                extra = pending[1] if pending is not None and pending[0] == doc_id else 0
                after[_bin(words, LENGTH_BINS)] += 1
                before[_bin(words + extra, LENGTH_BINS)] += 1
                if published is not None:
                    months[published.strftime("%Y-%m")] += 1
                else:
                    report.published_unknown += 1
            sources.update(value or "(unknown)" for value in rows["source"])
            languages.update(rows["language"])
            with_removals += sum(1 for n in rows["removed_lines"] if n)
            report.documents += batch.num_rows
            report.words += sum(rows["word_count"])
        report.removals_by_family, report.removals_by_rule = _counts(families), _counts(rules)[:TOP]
        report.length_labels = _bin_labels(LENGTH_BINS, "words")
        report.length_before, report.length_after = before, after
        report.published_months = sorted(months.items())
        report.sources, report.languages = _counts(sources)[:TOP], _counts(languages)
        rejects = Counter()
        for batch in _batches(release, "rejects", ["reason", "checks"]):
            for reason, checks in zip(batch["reason"].to_pylist(), batch["checks"].to_pylist()):
                rejects.update(f"{reason} ({check})" if check else reason for check in (checks or [None]))
        report.rejects = _counts(rejects)
        report._clusters(release)
        report._sample(release, with_removals)
        return report

    def _clusters(self, release: Path) -> None:
        copies = Counter()
        for batch in _batches(release, "duplicates", ["cluster"]):
            copies.update(batch["cluster"].to_pylist())
        self.cluster_labels = [str(n) for n in CLUSTER_BINS[:-2]] + [
            f"{CLUSTER_BINS[-2]}-{CLUSTER_BINS[-1] - 1}", f"{CLUSTER_BINS[-1]}+"]
        self.cluster_sizes = [0] * len(CLUSTER_BINS)
        for n in copies.values():
            self.cluster_sizes[_bin(n + 1, CLUSTER_BINS)] += 1  # the canonical article and its copies

    def _sample(self, release: Path, with_removals: int) -> None:
        """Up to SAMPLE articles that lost lines, spread evenly over the id order (data/ is
        sorted by id, so the choice does not depend on the input's order)."""
        if not with_removals:
            return
        count = min(SAMPLE, with_removals)
        wanted = {int(i * with_removals / count) for i in range(count)}
        position = 0
        for batch in _batches(release, "data", ["id", "removed_lines"]):
            for doc_id, n in zip(batch["id"].to_pylist(), batch["removed_lines"].to_pylist()):
                if n:
                    if position in wanted:
                        self.sample_ids.append(doc_id)
                    position += 1
