"""Site template lines: short lines one source repeats across many of its own articles.

Rules catch the chrome anyone can name; every outlet also has its own footer, pitch or
"Continue reading the main story". Such a line recurs in a large share of that outlet's
articles, while a real sentence almost never does. Lines shared by several sources are left
alone: those are quotes and wire copy, not one site's template.

Two passes in bounded memory:
  1. count: `LineCounter.observe` turns each published row into (source, line key, document
     key) rows, spilled to Parquet in buckets by line key; `LineCounter.templates` then
     aggregates one bucket at a time into the (source, line key) pairs that are templates.
  2. apply: `TemplateLines.strip` removes those lines from a batch of rows and records each one
     as a removal with the rule `template_line`.
"""
from __future__ import annotations

import hashlib
import logging
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..options import TemplateOptions

log = logging.getLogger(__name__)

RULE = FAMILY = "template_line"
BUCKETS = 32  # line-key buckets aggregated one at a time: 1/32 of the count rows in memory at once
SPILL_ROWS = 250_000  # count rows buffered (as Arrow arrays, ~10 MB) before a spill
AGGREGATE_ROWS = 1_000_000  # a bucket holding more count rows is aggregated in hash slices of this size
DIGITS = re.compile(r"\d+")
COUNT_SCHEMA = pa.schema([("source", pa.string()), ("line", pa.int64()), ("doc", pa.int64())])
DOC_SCHEMA = pa.schema([("source", pa.string()), ("doc", pa.int64())])
TEMPLATE_SCHEMA = pa.schema([("source", pa.string()), ("line", pa.int64()), ("docs", pa.int64()),
                             ("source_docs", pa.int64())])


def normalise(line: str) -> str:
    """Case, spacing and numbers ignored: "© 2023 Daily X" and "© 2024 daily x" are one line."""
    return " ".join(DIGITS.sub("0", line.casefold()).split())


def line_key(line: str) -> int:
    """Signed 64-bit key of a normalised line (what Parquet stores as int64)."""
    digest = hashlib.blake2b(normalise(line).encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def _short(paragraph: str, limit: int) -> bool:
    """At most `limit` words (counting spaces first: most paragraphs are far longer)."""
    return paragraph.count(" ") < limit and len(paragraph.split()) <= limit


def doc_key(content_hash: str) -> int:
    """Signed 64-bit key of a document's text: exact copies within a source count once."""
    return int.from_bytes(bytes.fromhex(content_hash[:16]), "little", signed=True)


ROW = "_row"  # the row of the batch's data table a count row comes from


@dataclass
class LineCounts:
    """Pass 1's rows for one batch: (row, source, doc) per document with a source and
    (row, source, line, doc) per distinct short line of it."""

    docs: pa.Table
    lines: pa.Table


def count_lines(data: pa.Table, options: TemplateOptions) -> LineCounts:
    """The count rows of a batch of published rows: pure, so it runs in the batch workers."""
    doc_rows, doc_sources, doc_keys, rows, sources, lines, docs = [], [], [], [], [], [], []
    if options.enabled and data.num_rows:
        limit = options.max_words
        columns = data.select(["source", "text", "content_hash"]).to_pydict()
        for row, (source, text, digest) in enumerate(zip(columns["source"], columns["text"], columns["content_hash"])):
            if source is None:
                continue
            doc = doc_key(digest)
            doc_rows.append(row)
            doc_sources.append(source)
            doc_keys.append(doc)
            keys = {line_key(p) for p in text.split("\n\n") if _short(p, limit)}
            rows.extend([row] * len(keys))
            sources.extend([source] * len(keys))
            lines.extend(keys)
            docs.extend([doc] * len(keys))
    return LineCounts(
        pa.table([pa.array(doc_rows, pa.int64()), pa.array(doc_sources, pa.string()), pa.array(doc_keys, pa.int64())],
                 names=[ROW, "source", "doc"]),
        pa.table([pa.array(rows, pa.int64()), pa.array(sources, pa.string()), pa.array(lines, pa.int64()),
                  pa.array(docs, pa.int64())], names=[ROW, "source", "line", "doc"]))


class LineCounter:
    """Pass 1: which short lines each document of each source has, spilled to Parquet.

    Memory is bounded whatever the corpus size: at most SPILL_ROWS count rows are buffered (as
    Arrow arrays, not Python lists), and both the count rows and the (source, document) rows are
    spilled in hash buckets that are aggregated one at a time."""

    def __init__(self, folder: Path, options: TemplateOptions):
        self.folder, self.options = folder, options
        self.parts = 0
        self.rows: list[pa.Table] = []  # COUNT_SCHEMA tables not yet spilled
        self.docs: list[pa.Table] = []  # DOC_SCHEMA tables not yet spilled
        self.buffered = 0
        for kind in ("lines", "docs"):
            for bucket in range(BUCKETS):
                self._bucket(kind, bucket).mkdir(parents=True, exist_ok=True)

    def _bucket(self, kind: str, bucket: int) -> Path:
        return self.folder / kind / f"bucket-{bucket:02d}"

    def observe(self, data: pa.Table) -> None:
        """Count the distinct short lines of every row that has a source."""
        self.add(count_lines(data, self.options))

    def add(self, counts: "LineCounts") -> None:
        """Count rows made by `count_lines` (in a batch worker, where the hashing runs in parallel)."""
        if counts.docs.num_rows:
            self.docs.append(counts.docs.select(["source", "doc"]).cast(DOC_SCHEMA))
        if counts.lines.num_rows:
            self.rows.append(counts.lines.select(["source", "line", "doc"]).cast(COUNT_SCHEMA))
            self.buffered += counts.lines.num_rows
        self.buffered += counts.docs.num_rows
        if self.buffered >= SPILL_ROWS:
            self._spill()

    def _spill(self) -> None:
        for kind, tables, key in (("docs", self.docs, "doc"), ("lines", self.rows, "line")):
            if not tables:
                continue
            table = pa.concat_tables(tables)
            bucket_of = pc.bit_wise_and(table[key], BUCKETS - 1)
            for bucket in range(BUCKETS):
                part = table.filter(pc.equal(bucket_of, bucket))
                if part.num_rows:
                    pq.write_table(part, self._bucket(kind, bucket) / f"part-{self.parts:05d}.parquet")
        self.parts += 1
        self.rows, self.docs, self.buffered = [], [], 0

    def _source_docs(self) -> dict[str, int]:
        """Distinct documents per source: a document key falls in one bucket, so the per-bucket
        distinct counts add up (one bucket of document rows in memory at a time)."""
        totals: Counter = Counter()
        for bucket in range(BUCKETS):
            files = sorted(self._bucket("docs", bucket).glob("*.parquet"))
            if not files:
                continue
            table = pa.concat_tables(pq.read_table(f) for f in files)
            counts = table.group_by("source").aggregate([("doc", "count_distinct")])
            totals.update(dict(zip(counts["source"].to_pylist(), counts["doc_count_distinct"].to_pylist())))
        return dict(totals)

    def _bucket_slices(self, files: list[Path]) -> Iterator[pa.Table]:
        """A bucket's count rows in slices of at most ~AGGREGATE_ROWS: a line key falls in one slice
        (chosen by the key's next hash bits), so each slice aggregates on its own."""
        rows = sum(pq.ParquetFile(f).metadata.num_rows for f in files)
        slices = 1
        while rows > slices * AGGREGATE_ROWS:
            slices *= 2
        if slices == 1:
            yield pa.concat_tables(pq.read_table(f) for f in files)
            return
        shift = BUCKETS.bit_length() - 1  # the key's bits above the bucket's
        for part in range(slices):
            pieces = []
            for f in files:
                for batch in pq.ParquetFile(f, pre_buffer=False).iter_batches(batch_size=65_536, use_threads=False):
                    slice_of = pc.bit_wise_and(pc.shift_right(batch["line"], shift), slices - 1)
                    pieces.append(pa.Table.from_batches([batch]).filter(pc.equal(slice_of, part)))
            yield pa.concat_tables(pieces)

    def templates(self) -> Path:
        """Aggregate the counts, one bucket at a time, into `templates.parquet`; returns its path."""
        self._spill()
        source_docs = self._source_docs()
        found = []
        for bucket in range(BUCKETS):
            files = sorted(self._bucket("lines", bucket).glob("*.parquet"))
            if not files:
                continue
            for counts in self._bucket_slices(files):
                found.append(self._bucket_templates(counts, source_docs))
        path = write_templates(found, self.folder / "templates.parquet")
        log.info("template lines: %d (source, line) pairs over %d sources",
                 sum(t.num_rows for t in found), len(source_docs))
        return path

    def _bucket_templates(self, counts: pa.Table, source_docs: dict[str, int]) -> pa.Table:
        return over_threshold(single_source_docs(counts), source_docs, self.options)


def single_source_docs(counts: pa.Table) -> pa.Table:
    """(source, line, doc_count_distinct) for the lines of one source only, from count rows that
    hold every row of their line keys (a bucket, a slice, a Ray partition)."""
    per_line = counts.group_by("line").aggregate([("source", "count_distinct")])
    single = per_line.filter(pc.equal(per_line["source_count_distinct"], 1))["line"]
    counts = counts.filter(pc.is_in(counts["line"], value_set=single))
    return counts.group_by(["source", "line"]).aggregate([("doc", "count_distinct")])


def over_threshold(docs: pa.Table, source_docs: dict[str, int], options: TemplateOptions) -> pa.Table:
    """The (source, line) pairs of `single_source_docs` frequent enough in their source to be
    templates, given every source's distinct document count."""
    total = pa.array([source_docs.get(s, 0) for s in docs["source"].to_pylist()], pa.int64())
    keep = pc.and_(pc.greater_equal(docs["doc_count_distinct"], options.min_docs),
                   pc.greater_equal(pc.divide(pc.cast(docs["doc_count_distinct"], pa.float64()),
                                              pc.cast(total, pa.float64())), options.min_share))
    docs, total = docs.filter(keep), total.filter(keep)
    return pa.table({"source": docs["source"], "line": docs["line"],
                     "docs": docs["doc_count_distinct"], "source_docs": total}, schema=TEMPLATE_SCHEMA)


def write_templates(found: list[pa.Table], path: Path) -> Path:
    """The template pairs in (source, line) order, whatever order they were found in."""
    table = pa.concat_tables(found) if found else TEMPLATE_SCHEMA.empty_table()
    pq.write_table(table.sort_by([("source", "ascending"), ("line", "ascending")]), path)
    return path


@dataclass
class Stripped:
    """A batch after template removal: the rows and the lines taken out of them."""

    data: pa.Table
    removals: pa.Table  # id, line, rule, family, text (the Removals schema)
    emptied: pa.Table  # rows that had nothing but template lines (rejected by the caller)
    by_source: Counter  # removed lines per source


class TemplateLines:
    """Pass 2: remove each source's template lines from rows and record them."""

    def __init__(self, lines: dict[str, set[int]], options: TemplateOptions):
        self.lines, self.options = lines, options

    @classmethod
    def load(cls, path: Path, options: TemplateOptions) -> "TemplateLines":
        table = pq.read_table(path, columns=["source", "line"])
        lines: dict[str, set[int]] = {}
        for source, key in zip(table["source"].to_pylist(), table["line"].to_pylist()):
            lines.setdefault(source, set()).add(key)
        return cls(lines, options)

    def strip(self, data: pa.Table, removals_schema: pa.Schema) -> Stripped:
        """Rows without their source's template lines; text-derived columns recomputed."""
        empty = Stripped(data, removals_schema.empty_table(), data.slice(0, 0), Counter())
        if not self.lines or not data.num_rows:
            return empty
        sources = data["source"].to_pylist()
        touched = [i for i, s in enumerate(sources) if s in self.lines]
        if not touched:
            return empty
        limit = self.options.max_words
        columns = {name: data[name].to_pylist() for name in
                   ("id", "text", "paragraph_lines", "word_count", "content_hash", "removed_lines")}
        removed: list[dict] = []
        emptied: list[int] = []
        by_source: Counter = Counter()
        for i in touched:
            keys = self.lines[sources[i]]
            paragraphs = columns["text"][i].split("\n\n")
            numbers = columns["paragraph_lines"][i]
            kept, kept_numbers, cut = [], [], []
            for n, paragraph in enumerate(paragraphs):
                number = numbers[n] if n < len(numbers) else (numbers[-1] if numbers else 1)
                if _short(paragraph, limit) and line_key(paragraph) in keys:
                    cut.append({"id": columns["id"][i], "line": number, "rule": RULE,
                                "family": FAMILY, "text": paragraph, "score": None})
                else:
                    kept.append(paragraph)
                    kept_numbers.append(number)
            if not cut:
                continue
            if not kept:
                emptied.append(i)
                continue
            removed.extend(cut)
            by_source[sources[i]] += len(cut)
            text = "\n\n".join(kept)
            columns["text"][i] = text
            columns["paragraph_lines"][i] = kept_numbers
            columns["word_count"][i] = len(text.split())
            columns["content_hash"][i] = hashlib.sha256(text.encode("utf-8")).hexdigest()
            columns["removed_lines"][i] += len(paragraphs) - len(kept)
        for name in ("text", "paragraph_lines", "word_count", "content_hash", "removed_lines"):
            position = data.schema.get_field_index(name)
            data = data.set_column(position, data.schema.field(name),
                                   pa.array(columns[name], data.schema.field(name).type))
        gone = pa.array(emptied, pa.int64())
        emptied_rows = data.take(gone)
        if emptied:
            keep = pc.invert(pc.is_in(pa.array(range(data.num_rows), pa.int64()), value_set=gone))
            data = data.filter(keep)
        removals = pa.Table.from_pylist(removed, schema=removals_schema)
        return Stripped(data, removals, emptied_rows, by_source)
