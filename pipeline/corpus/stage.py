"""The corpus stage: cleaning that needs every document, between the per-document steps and publishing.

    in the workers   templates.count   each row's short lines (count_lines), added and spilled here
                     dedup.sign        each row's MinHash signature (the runs' SIGNATURE column)
    1. aggregate     templates.count   the (source, line) pairs that are site templates
    2. stream        templates.apply   template lines out of each row, text columns recomputed
                     dedup.sign        signatures spilled; rows whose text changed signed again
                                       (no template lines found: only the columns signing
                                       needs are read, and pass 4 reads the staged rows again)
    3. cluster       dedup.cluster     exact and near copies grouped; canonical row chosen
                                       (or, by an engine's tasks, staged on disk: fold_files.py)
    4. stream        dedup.fold        copies left out, the canonical rows list them (or, by
                                       an engine's tasks, one data shard each: publish/data_shards.py)

The rows come in id order from the sorted runs of the per-document stage and leave in id
order, so the output does not depend on the reading order or on the number of workers. An
engine may run pass 2 over id ranges of the runs, each on its own (`ranges.py`: Ray tasks),
instead of streaming it through this process: the same rows, numbered in the same order.
Nothing here holds the corpus: passes 2 and 4 stream it, 1 and 3 read spilled Parquet. The
per-row work (counting, signing) runs in the batch workers, in parallel; the timings reported
here (`templates.count`, `dedup.sign`) are this process's part only.
"""
from __future__ import annotations

import logging
import resource
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from newsclean.schemas import Corpus, Duplicates, arrow_schema

from ..options import CorpusOptions, TemplateOptions
from .dedup import SIGNED_COLUMNS, Folding, Linker, cluster
from .fold_files import FoldJob, FoldTasks, StagedFolding, fold_entries, folded_template_lines
from .fold_files import dropped_ids as staged_dropped_ids
from .pass2 import Pass2Counts, Pass2Files, clean_and_sign, write_pass2  # noqa: F401  (clean_and_sign: its old home)
from .signature_parts import SignatureParts
from .templates import LineCounter, LineCounts, count_lines

if TYPE_CHECKING:
    from .ranges import RangeRunner, StagedRuns

log = logging.getLogger(__name__)

READ_ROWS = 1_000  # rows of the cleaned corpus read at a time in the publishing pass
# The staged rows (with their SIGNATURE column) in id order, read afresh on each call: all columns,
# or only those named.
StagedRows = Callable[[list[str] | None], Iterator[pa.Table]]
# Makes pass 1's counter for (folder, options): `add(LineCounts)` per batch, `templates()` -> path
LineCounterMaker = Callable[[Path, TemplateOptions], Any]


def _peak_rss_mb() -> float:
    """Peak resident memory of this process since the last reset (Linux VmHWM), in MB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
    except OSError:
        pass


@dataclass
class CorpusReport:
    """What the corpus stage did, for the summary, the manifest and the dataset card."""

    template_lines_by_source: Counter = field(default_factory=Counter)
    template_only: int = 0  # rows that were nothing but template lines (rejected)
    clusters: int = 0
    folded: int = 0
    exact: int = 0
    near: int = 0
    timings: dict[str, dict[str, float]] = field(default_factory=dict)  # step -> seconds, peak_rss_mb

    def counts(self) -> dict:
        """The deterministic part (no timings): goes into the manifest."""
        return {"template_lines": sum(self.template_lines_by_source.values()),
                "template_lines_by_source": dict(sorted(self.template_lines_by_source.items())),
                "template_only_documents": self.template_only,
                "duplicate_clusters": self.clusters, "duplicates_folded": self.folded,
                "duplicates_exact": self.exact, "duplicates_near": self.near}


class CorpusStage:
    """Runs the passes over the staged per-document output; see the module docstring."""

    def __init__(self, folder: Path, options: CorpusOptions, workers: int = 1,
                 line_counter: LineCounterMaker | None = None, linker: Linker | None = None,
                 ranges: RangeRunner | None = None, fold_tasks: FoldTasks | None = None):
        self.folder, self.options, self.workers = folder, options, workers
        self.linker = linker  # pass 3's links: found here by default, or by the engine's tasks
        self.ranges = ranges  # pass 2 by id ranges (`ranges.RangeRunner`, the engine's), or None: here
        # pass 3 by the engine's tasks, its fold staged on disk (`fold_files.py`), or None: here
        self.fold_tasks = fold_tasks
        folder.mkdir(parents=True, exist_ok=True)
        # pass 1's counter: here by default; the engine's (Ray tasks over its staged units) if given
        self.counter = (line_counter or LineCounter)(folder / "lines", options.templates)
        self.report = CorpusReport()
        self.clean_path = folder / "clean.parquet"
        self.removals_path = folder / "template_removals.parquet"
        self.rejects_path = folder / "template_rejects.parquet"
        self.duplicates_path = folder / "duplicates.parquet"
        self.signatures_path = folder / "signatures.parquet"
        # pass 2's files in id order: these one each, or one per id range (`_clean_in_ranges`)
        self.clean_parts, self.removals_parts = [self.clean_path], [self.removals_path]
        self.rejects_parts = [self.rejects_path]
        self.rows = 0
        self.part_rows: list[int] = []  # each range's rows, when pass 2 ran by ranges
        self.folding = Folding()  # with `fold_tasks`, its counts only: the entries are in `staged`
        self.staged: StagedFolding | None = None
        self._unchanged: StagedRows | None = None  # pass 4's rows when pass 2 changed none
        self._count_seconds = 0.0

    @contextmanager
    def measure(self, step: str, extra_seconds: float = 0.0):
        """Times `step` and takes this process's peak memory during it, for the report."""
        _reset_peak()
        started = time.perf_counter()
        yield
        self.report.timings[step] = {"seconds": round(time.perf_counter() - started + extra_seconds, 2),
                                     "peak_rss_mb": round(_peak_rss_mb(), 1)}

    def observe(self, data: pa.Table, counts: LineCounts | None = None) -> None:
        """Pass 1, while the per-document stage runs: count each source's short lines (`counts`:
        those of `data`, made by the batch worker; counted here when not given)."""
        started = time.perf_counter()
        self.counter.add(counts if counts is not None else count_lines(data, self.options.templates))
        self._count_seconds += time.perf_counter() - started

    def run(self, staged: StagedRows, runs: StagedRuns | None = None) -> None:
        """Passes 1 (aggregate), 2 and 3 over the staged rows (`staged(columns)` reads them;
        `runs`: the sorted data runs they are merged from, `ranges.StagedRuns`, for `self.ranges`)."""
        templates = None
        with self.measure("templates.count", self._count_seconds):
            if self.options.templates.enabled:
                path = self.counter.templates()
                # no template lines found: pass 2 has nothing to strip (and needs no pool)
                templates = str(path) if pq.ParquetFile(path).metadata.num_rows else None
        if self._rereads(templates):  # pass 2 changes no row: it reads only what signing
            self._unchanged = staged  # needs, and pass 4 reads the staged rows again
        if self.ranges is not None and runs is not None:
            self._clean_in_ranges(runs, templates)
        elif self._unchanged is not None:
            self._clean_and_sign(staged(list(SIGNED_COLUMNS)), None)
        else:
            self._clean_and_sign(staged(None), templates)
        with self.measure("dedup.cluster"):
            if self.fold_tasks is not None:
                self._fold_by_tasks()
            else:
                self.folding = cluster(self.signatures_path, self.rows, self.options.dedup, self.linker)
                table = pa.Table.from_pylist(self.folding.duplicates, schema=arrow_schema(Duplicates))
                pq.write_table(table, self.duplicates_path)
        if self.staged is None:
            self._uncount_folded()
        report = self.report
        report.clusters, report.folded = self.folding.clusters, self.folding.folded
        report.exact, report.near = self.folding.exact, self.folding.near
        log.info("duplicates: %d clusters, %d copies folded (%d exact, %d near)",
                 report.clusters, report.folded, report.exact, report.near)

    def _rereads(self, templates: str | None) -> bool:
        """Whether pass 4 reads the staged rows again instead of pass 2's copy of them: when no
        template line is to be stripped, the copy would be the same rows (tests/test_corpus_stage.py)."""
        return templates is None

    def _uncount_folded(self) -> None:
        """Template lines are counted for published rows only, like the removals table."""
        folded = {row["id"]: row["source"] for row in self.folding.duplicates if not row["in_corpus"]}
        if folded:
            self._uncount(folded_template_lines(folded, self.removals_parts))

    def _uncount(self, uncounted: Counter) -> None:
        self.report.template_lines_by_source.subtract(uncounted)
        self.report.template_lines_by_source = +self.report.template_lines_by_source

    def _fold_by_tasks(self) -> None:
        """Pass 3 by the engine: links, clusters, canonical rows and the fold staged on disk by
        its tasks; this process gets back the files' paths and the counts."""
        job = FoldJob(str(self.signatures_path), self.rows, str(self.folder), self.options.dedup,
                      tuple(map(str, self.removals_parts)), tuple(map(str, self.rejects_parts)))
        staged = self.fold_tasks(job)
        if Path(staged.duplicates) != self.duplicates_path:
            raise RuntimeError(f"pass 3: the duplicates were staged at {staged.duplicates}, not {self.duplicates_path}")
        self.staged = staged
        self.folding = Folding(clusters=staged.clusters, folded=staged.folded, exact=staged.exact, near=staged.near)
        self._uncount(staged.uncounted)

    def _clean_and_sign(self, data: Iterator[pa.Table], templates: str | None) -> None:
        files = Pass2Files(self.clean_path if self._unchanged is None else None, self.removals_path,
                           self.rejects_path, self.signatures_path)
        _reset_peak()
        started = time.perf_counter()
        counts = write_pass2(data, templates, self.options, files, self.workers)
        self._counted(counts, time.perf_counter() - started)

    def _counted(self, counts: Pass2Counts, wall: float) -> None:
        self.rows = counts.rows
        self.report.template_only += counts.template_only
        self.report.template_lines_by_source.update(counts.by_source)
        peak = round(_peak_rss_mb(), 1)
        # The two steps share one stream: each gets its own compute time and the pass's peak.
        self.report.timings["templates.apply"] = {"seconds": round(counts.apply_s, 2), "peak_rss_mb": peak}
        self.report.timings["dedup.sign"] = {"seconds": round(counts.sign_s, 2), "peak_rss_mb": peak}
        self.report.timings["stream (apply + sign, wall)"] = {"seconds": round(wall, 2), "peak_rss_mb": peak}

    def _clean_in_ranges(self, runs: StagedRuns, templates: str | None) -> None:
        """Pass 2 by the engine, one id range of the sorted runs at a time (`ranges.py`); this
        process gets back each range's files and counts, in id order."""
        from .ranges import RANGE_ROWS, RangeJob, plan_id_ranges, staged_positions

        _reset_peak()
        started = time.perf_counter()
        job = RangeJob(runs.paths, runs.schema, str(self.folder), templates, self.options)
        results = self.ranges(job, plan_id_ranges([Path(p) for p in runs.paths], RANGE_ROWS))
        if templates is not None:
            self.clean_parts = [result.files.clean for result in results]
        self.removals_parts = [result.files.removals for result in results]
        self.rejects_parts = [result.files.rejects for result in results]
        self.part_rows = [result.counts.rows for result in results]
        runs.repeats.adopt([result.repeated for result in results], staged_positions(results))
        total = Pass2Counts()
        for result in results:
            total.rows += result.counts.rows
            total.template_only += result.counts.template_only
            total.by_source.update(result.counts.by_source)
            total.apply_s, total.sign_s = total.apply_s + result.counts.apply_s, total.sign_s + result.counts.sign_s
        if SignatureParts.of(self.signatures_path).num_rows() != total.rows:
            raise RuntimeError(f"pass 2: the ranges' signatures are not their {total.rows} rows")
        log.info("pass 2 in %d id ranges: %d rows", len(results), total.rows)
        self._counted(total, time.perf_counter() - started)

    @property
    def rereads_staged(self) -> bool:
        """Whether pass 4 reads the staged rows again (pass 2 changed none and kept no copy of
        them) rather than pass 2's `clean_path`."""
        return self._unchanged is not None

    def published_rows(self) -> int:
        return self.rows - self.folding.folded

    def dropped_ids(self) -> pa.Array:
        """Ids whose per-document removals must not be published (folded copies, emptied rows)."""
        if self.staged is not None:  # the engine's tasks listed them (`fold_files.py`)
            return staged_dropped_ids(self.staged.dropped)
        ids = self.folding.dropped_ids()
        for path in self.rejects_parts:
            ids += pq.read_table(path, columns=["id"])["id"].to_pylist()
        return pa.array(sorted(ids), pa.string())

    def published(self) -> Iterator[pa.Table]:
        """Pass 4: the cleaned rows in id order, copies left out and canonical rows listing them."""
        _reset_peak()
        started = time.perf_counter()
        fold = self.folding.rows if self.staged is None else fold_entries(self.staged.fold)
        clustered = np.array(sorted(fold), dtype=np.int64)
        position = 0
        # Without pre-buffering and on this thread: pyarrow's pre-buffer keeps every column chunk it
        # read until the file closes (the whole cleaned corpus, compressed: 279 MB at 1 GB), and
        # pages freed by its reader threads stay in their heaps (bench/PROFILE.md, section 9).
        for table in self._cleaned():
            n = table.num_rows
            lo, hi = np.searchsorted(clustered, [position, position + n])
            if hi > lo:
                table = apply_folding(table, position, clustered[lo:hi].tolist(), fold)
            position += n
            if table.num_rows:
                yield table
        self.report.timings["dedup.fold"] = {"seconds": round(time.perf_counter() - started, 2),
                                             "peak_rss_mb": round(_peak_rss_mb(), 1)}

    def _cleaned(self) -> Iterator[pa.Table]:
        """Pass 2's rows in id order, as the corpus schema has them."""
        if self._unchanged is not None:  # the staged rows, their signatures left unread
            yield from self._unchanged(arrow_schema(Corpus).names)
            return
        for path in self.clean_parts:
            for batch in pq.ParquetFile(path, pre_buffer=False).iter_batches(batch_size=READ_ROWS, use_threads=False):
                yield pa.Table.from_batches([batch])


def apply_folding(table: pa.Table, offset: int, members: list[int], fold: dict) -> pa.Table:
    """Rows `offset`.. of pass 2 with `fold` applied to `members` (their idx): copies left out,
    the rows kept listing their copies."""
    columns = {name: table[name].to_pylist() for name in ("duplicate_ids", "duplicate_sources", "duplicate_urls")}
    keep = [True] * table.num_rows
    for idx in members:
        published, ids, sources, urls = fold[idx]
        row = idx - offset
        keep[row] = published
        columns["duplicate_ids"][row], columns["duplicate_sources"][row] = ids, sources
        columns["duplicate_urls"][row] = urls
    for name, values in columns.items():
        at = table.schema.get_field_index(name)
        table = table.set_column(at, table.schema.field(name), pa.array(values, table.schema.field(name).type))
    return table.filter(pa.array(keep))


__all__ = ["CorpusStage", "CorpusReport", "apply_folding", "clean_and_sign"]
