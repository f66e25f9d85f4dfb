"""A release is built in a staging folder beside the published one and swapped in only when valid.

A run killed at any moment leaves the previous release as it was: before the swap nothing of it
was touched; the swap itself is one atomic rename-exchange (Linux renameat2), so there is no
instant without a complete release at the published path.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
from collections import Counter
from functools import partial
from pathlib import Path
from typing import Callable, Iterator

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from newsclean.schemas import Corpus, Duplicates, Rejects, Removals, arrow_schema

from ..corpus import CorpusStage
from ..corpus.dedup import Linker, signed_as
from ..corpus.fold_files import FoldTasks
from ..corpus.ranges import RangeTasks, StagedRuns
from ..corpus.stage import LineCounterMaker
from ..corpus.templates import FAMILY as TEMPLATE_FAMILY
from ..corpus.templates import LineCounts
from ..executor import release_memory, run_beside, stop_forkserver
from ..options import CorpusOptions, PublishOptions
from .data_shards import RowSource, ShardTasks, plan_data_shards
from .side_shards import SideTables, SortedTable, merged_report
from .storage import shown
from .swap import exchange, pid_alive, signals_held
from .shards import GroupMerger, IdRange, ShardWriter, merge_runs, write_sorted
from .repeats import POSITION, RepeatedIds, without_repeats
from .runs import KEYS, MODELS, SortedRuns
from .validate import Report, sha256_file, validate_audit_tables, validate_files

log = logging.getLogger(__name__)

PREFIX = {"data": "train", "removals": "removals", "rejects": "rejects", "duplicates": "duplicates"}
TABLES = {**MODELS, "duplicates": Duplicates}  # every published table (MODELS: those spilled in runs)
SIDE = ("removals", "rejects", "duplicates")  # the tables written (and checked) beside the data shards
REWRITTEN_ROWS = 65_536  # removal rows read at a time when listing the rows the corpus stage rewrote


# (release folder, family of the removals whose rows are checked again, data shards, relaxed
# families) -> each data shard's `data_checks.ShardCheck`: an engine's publish check of them
CheckTasks = Callable[[str, str | None, list[str], tuple[str, ...]], list]


class ReleaseFailed(RuntimeError):
    """The new release could not be completed; the published folder is untouched."""


class ReleaseBuilder:
    """Collects validated batches, runs the corpus stage (ids made unique on its way in), writes
    and swaps the release."""

    def __init__(self, out: Path, options: PublishOptions, corpus: CorpusOptions = CorpusOptions(),
                 workers: int = 1, line_counter: LineCounterMaker | None = None,
                 linker: Linker | None = None, shard_tasks: ShardTasks | None = None, ranges: RangeTasks | None = None,
                 fold_tasks: FoldTasks | None = None, check_tasks: CheckTasks | None = None):
        self.out = out
        self.shard_tasks = shard_tasks  # the engine's writers of single shards (None: streamed here)
        self.check_tasks = check_tasks  # the engine's publish check of the data shards (None: here)
        self.options = options
        self.workers = workers
        self.staging = out.parent / f".{out.name}.staging-{os.getpid()}"
        self.published = False  # the swap is done: the new release is at `out`
        self._clear_dead_staging()
        self.runs_dir = self.staging / ".runs"
        try:
            self.runs_dir.mkdir(parents=True)
        except BaseException:
            self.abandon()
            raise
        self.runs = SortedRuns(self.runs_dir, corpus)
        self.repeats = RepeatedIds(self.runs_dir / "rejects-repeated-ids.parquet")
        self.ranges = ranges  # the engine's merge of the data runs and pass 2 by id ranges (None: here)
        self.corpus = CorpusStage(self.staging / ".corpus", corpus, workers, line_counter, linker,
                                  None if ranges is None else ranges.clean, fold_tasks)
        self.counts: Counter = Counter()
        self.removed_by_rule: Counter = Counter()
        self.rejected_by_reason: Counter = Counter()
        self.checked: dict[str, Report] = {}  # the side tables' row checks, made beside the data shards

    def _clear_dead_staging(self) -> None:
        for path in self.out.parent.glob(f".{self.out.name}.staging-*"):
            pid = path.name.rsplit("-", 1)[-1]
            if not pid.isdigit() or not pid_alive(int(pid)) or int(pid) == os.getpid():
                shutil.rmtree(path, ignore_errors=True)

    def add(self, data: pa.Table, removals: pa.Table, rejects: pa.Table,
            line_counts: LineCounts | None = None) -> None:
        """One processed batch (`process_batch`: `data` and `removals` carry POSITION).

        Repeated ids are decided once the rows are in id order (`write_tables`), equal texts by
        the corpus stage, which folds them (and near copies) into one canonical row: neither
        depends on the reading order. `line_counts`: the template counts of `data`'s rows, when
        the batch worker made them (`process_batch`), which also signs the rows (the SIGNATURE
        column). A repeated id's row is counted too: the counts are made before ids are decided
        (an exact copy counts once, the counts being of distinct texts per source).
        """
        data = signed_as(data, self.corpus.options.dedup)  # rows not from `process_batch`: signed here
        self.corpus.observe(data, line_counts)
        self.runs.add({"data": data, "removals": removals, "rejects": rejects})

    def add_runs(self, runs: dict[str, str], filesystem: pafs.FileSystem, line_counts: LineCounts) -> None:
        """A unit its worker staged as sorted runs (`engines.unit_runs`), the paths on `filesystem`
        of those with rows: read by `write_tables`' first merge round (the engine's tasks), never
        here. Units in plan order; a builder takes these or batches (`add`), not both."""
        self.runs.add_staged(runs, filesystem)
        self.corpus.observe(self.runs.schemas["data"].empty_table(), line_counts)

    def write_tables(self) -> list[dict]:
        """Run the corpus stage over the merged runs, then write the final shards.

        Returns the shards' file entries for the manifest; `counts`, `removed_by_rule` and
        `rejected_by_reason` then describe what was published. With workers, and where this
        process can fork (`executor.start_method`), two children work beside this process: one
        merges the removals' and rejects' runs down while the corpus stage runs, then another
        writes and checks (`validate_audit_tables`) the removals, rejects and duplicates tables
        while the data shards are written. Otherwise the same work is done in this process, in turn.
        """
        runs = self.runs
        runs.spill()
        merger = None if self.ranges is None else self.ranges.merge
        runs.merge_staged(merger)  # `add_runs`' units: local runs, a group of units each
        # The side tables' runs are merged down beside the corpus stage, which this does not wait for;
        # with an engine's merger (Ray's group tasks), by its tasks once the corpus stage is done (a
        # child forked beside could not submit them, and Ray's threads here rule the fork out anyway).
        side_runs = run_beside(partial(self._reduce_side_runs, merger), 1 if merger else self.workers)
        try:
            runs.paths["data"] = runs.reduce("data", merger)
            corpus = self.corpus
            corpus.run(self._first_of_each_id, StagedRuns(_names(runs.paths["data"]), runs.schemas["data"], self.repeats))
        except BaseException:
            side_runs.cancel()
            raise
        runs.paths.update(side_runs.result())
        if self.repeats.decided:  # the rejects of repeated ids, written by the corpus stage's first pass
            runs.paths["rejects"].extend(self.repeats.rejects_paths)
        stop_forkserver()  # no more pools in this run: its memory is no longer shared with workers
        release_memory()  # what the corpus stage freed, before the child beside is forked
        if self.shard_tasks is None:
            side_tables = run_beside(partial(self._write_and_check_side_tables, corpus.dropped_ids()), self.workers)
            try:
                paths = {"data": self._write_data_shards()}
            except BaseException:
                side_tables.cancel()
                raise
            side = side_tables.result()
        else:  # every shard written (and a side table's checked) on its own, by the engine
            paths = {"data": self._data_shards_by_engine()}
            # the ids whose removals are left out: listed in a file by the engine's fold tasks
            side = self._side_tables_by_engine(None if corpus.staged is not None else corpus.dropped_ids())
        paths.update(side.paths)
        self.counts.update(side.counts)
        self.removed_by_rule.update(side.removed_by_rule)
        self.rejected_by_reason.update(side.rejected_by_reason)
        self.checked = side.checked
        entries = []
        for kind in TABLES:
            for path in paths[kind]:
                name = path.relative_to(self.staging).as_posix()
                # a side table's checksum is the one taken when it was checked: a later change
                # then fails the manifest check instead of passing with the old report
                checked = self.checked[kind].sha256 if kind in self.checked else {}
                entries.append({"path": name, "table": kind, "rows": pq.ParquetFile(path).metadata.num_rows,
                                "bytes": path.stat().st_size, "sha256": checked.get(name) or sha256_file(path)})
        shutil.rmtree(self.runs_dir)
        shutil.rmtree(corpus.folder)
        return entries

    def _write_data_shards(self) -> list[Path]:
        """The data shards, the corpus stage's rows streamed through this process."""
        writer = ShardWriter(self.staging / "data", PREFIX["data"], self.corpus.published_rows(),
                             arrow_schema(Corpus), self.options)
        for table in self.corpus.published():
            writer.write(table)
            self.counts["published"] += table.num_rows
        return writer.close()

    def _data_shards_by_engine(self) -> list[Path]:
        """The data shards, each written on its own by the engine (`data_shards.write_data_shard`
        in a task): this process plans them and reads no row."""
        corpus = self.corpus
        with corpus.measure("dedup.fold"):  # the driver's part: planning, waiting
            if corpus.staged is not None and self.shard_tasks.plan is not None:  # planned by the engine
                shards = self.shard_tasks.plan(corpus.staged.fold, str(corpus.signatures_path), corpus.rows,
                                               corpus.published_rows(), self.options.shard_rows)
            else:
                shards = plan_data_shards(corpus, self.options.shard_rows)
            source = RowSource(None if corpus.rereads_staged else _names(corpus.clean_parts),
                               tuple(corpus.part_rows or [corpus.rows]),
                               _names(self.runs.paths["data"]), self.runs.schemas["data"])
            written = self.shard_tasks.data(shards, source, self.staging / "data", self.options)
        self.counts["published"] += sum(rows for _, rows in written)
        return sorted(Path(path) for path, _ in written)  # in shard order, whatever order they came in

    def _side_tables_by_engine(self, dropped: pa.Array | None) -> SideTables:
        """`_write_and_check_side_tables`, each shard written and checked on its own by the engine
        (`side_shards`): this process reads no row of them. `dropped`: the ids whose removals are
        left out (None: those of the staged fold's file)."""
        corpus = self.corpus
        dropped_file = corpus.staged.dropped if dropped is None and corpus.staged is not None else None
        # the left-out rows' positions: staged by the id ranges' tasks (read by the shards' tasks), or these
        repeated = pa.array([], pa.uint64()) if self.repeats.staged is not None else self.repeats.positions()
        ranges = None if self.repeats.staged is None else self.repeats.staged.ranges  # pass 2's, if by ranges
        removals, rejects = self.runs.paths["removals"], self.runs.paths["rejects"]
        tables = [SortedTable("removals", PREFIX["removals"], _names(removals + corpus.removals_parts),
                              KEYS["removals"], arrow_schema(Removals), dropped, repeated, "rule", dropped_file,
                              self.repeats.staged, ranges, _part_ranges(removals, corpus.removals_parts, ranges)),
                  SortedTable("rejects", PREFIX["rejects"], _names(rejects + corpus.rejects_parts),
                              KEYS["rejects"], arrow_schema(Rejects), counted="reason", ranges=ranges,
                              run_ranges=_part_ranges(rejects, corpus.rejects_parts, ranges)),
                  SortedTable("duplicates", PREFIX["duplicates"], _names([corpus.duplicates_path]), ("id",),
                              arrow_schema(Duplicates))]
        with corpus.measure("side tables"):  # the driver's part: waiting for the tasks
            results = self.shard_tasks.side(tables, self.staging, self.options)
        side = SideTables()
        for table, total, by_value in ((tables[0], "removed_lines", side.removed_by_rule),
                                       (tables[1], "rejected", side.rejected_by_reason), (tables[2], None, None)):
            done = results[table.kind]
            side.paths[table.kind] = [Path(result.path) for result in done]
            side.checked[table.kind] = merged_report(shown(self.staging), table.kind, done)
            for result in done:
                if total is not None and result.rows:  # as `write_sorted`'s counting: no key for none
                    side.counts[total] += result.rows
                    by_value.update(result.counted)
        return side

    def _first_of_each_id(self, columns: list[str] | None) -> Iterator[pa.Table]:
        """The data rows in id order, one row per id (`repeats.RepeatedIds`): what the corpus
        stage reads, all columns or those named, without POSITION."""
        needed = None if columns is None else list(dict.fromkeys([*columns, "id", "provenance", POSITION]))
        merged = merge_runs(self.runs.paths["data"], KEYS["data"], self.runs.schemas["data"], needed)
        for table in self.repeats.first_of_each_id(merged):
            yield table.drop_columns([POSITION]) if columns is None else table.select(columns)

    def _write_and_check_side_tables(self, dropped: pa.Array) -> SideTables:
        """The side tables written, then checksummed and checked (the manifest and `publish` take
        the results): beside the data shards with workers, their pandera checks wait for neither."""
        side = self._write_side_tables(dropped)
        release_memory()  # the writers' buffers, before the checks' own: the tail's peak is here
        side.checked = validate_audit_tables(self.staging, SIDE)
        return side

    def _reduce_side_runs(self, merger: GroupMerger | None = None) -> dict[str, list[Path]]:
        """The removals' and rejects' sorted runs merged down to what one merge can take, each
        round's groups by `merger` when given (an engine's tasks)."""
        reduced = {}
        for kind in ("removals", "rejects"):
            reduced[kind] = self.runs.reduce(kind, merger)
            release_memory()
        return reduced

    def _write_side_tables(self, dropped: pa.Array) -> SideTables:
        """The removals (without those of `dropped` rows), rejects and duplicates tables, from
        the runs `_reduce_side_runs` left."""
        side = SideTables()

        def count_removals(table: pa.Table) -> None:
            side.counts["removed_lines"] += table.num_rows
            _count_values(side.removed_by_rule, table["rule"])

        def count_rejects(table: pa.Table) -> None:
            side.counts["rejected"] += table.num_rows
            _count_values(side.rejected_by_reason, table["reason"])

        corpus = self.corpus
        repeated = self.repeats.positions()  # the removals of a repeated id's rows left out
        if len(repeated):
            keep, keep_reads, columns = partial(without_repeats, positions=repeated), (POSITION,), None
        else:  # none to leave out: POSITION is not even read
            keep, keep_reads, columns = None, (), arrow_schema(Removals).names
        side.paths["removals"] = write_sorted(
            self.runs.paths["removals"] + corpus.removals_parts, KEYS["removals"], arrow_schema(Removals),
            self.staging / "removals", PREFIX["removals"], self.options, on_table=count_removals,
            drop_ids=dropped, keep=keep, keep_reads=keep_reads, columns=columns)
        side.paths["rejects"] = write_sorted(
            self.runs.paths["rejects"] + corpus.rejects_parts, KEYS["rejects"], arrow_schema(Rejects),
            self.staging / "rejects", PREFIX["rejects"], self.options, on_table=count_rejects)
        side.paths["duplicates"] = write_sorted(
            [corpus.duplicates_path], ("id",), arrow_schema(Duplicates), self.staging / "duplicates",
            PREFIX["duplicates"], self.options)
        return side

    def write_json(self, name: str, payload: dict) -> None:
        text = json.dumps(payload, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
        (self.staging / name).write_text(text, encoding="utf-8")

    def write_text(self, name: str, text: str) -> None:
        (self.staging / name).write_text(text, encoding="utf-8")

    def publish(self) -> None:
        """Check the staged release, then swap it in; on any failure the old one stays.

        Every corpus row passed the row checks in its batch; what can have changed since is
        checked here (`validate_files`): the files against the manifest, the Arrow schemas,
        uniqueness across shards, the tables no batch validated (checked once written, by
        `validate_audit_tables`), and the rows the corpus stage rewrote (template lines taken
        out of their text)."""
        if self.check_tasks is None:
            report = validate_files(self.staging, recheck=self._rewritten_ids(), checked=self.checked)
        else:  # the rows the corpus stage changed are found by the tasks, from the removals shards
            checks = partial(self.check_tasks, str(self.staging), TEMPLATE_FAMILY)
            report = validate_files(self.staging, checked=self.checked, data_checks=checks)
        release_memory()
        if not report.ok:
            raise ReleaseFailed("the new release does not validate; the published folder is "
                                "unchanged:\n" + report.to_text())
        with signals_held():  # the swap and the old release's removal are not cut short
            if os.path.lexists(self.out):
                exchange(self.staging, self.out)
                self.published = True
                shutil.rmtree(self.staging)
            else:
                os.rename(self.staging, self.out)
                self.published = True

    def _rewritten_ids(self) -> pa.Array:
        """Ids of the corpus rows whose text the corpus stage changed after batch validation:
        unique, sorted, as one Arrow array (no Python string per id); the removals are read a
        record batch at a time."""
        parts = []
        for path in sorted((self.staging / "removals").glob("*.parquet")):
            for batch in pq.ParquetFile(path, pre_buffer=False).iter_batches(
                    batch_size=REWRITTEN_ROWS, columns=["id", "family"], use_threads=False):
                ids = batch["id"].filter(pc.equal(batch["family"], TEMPLATE_FAMILY))
                if len(ids):
                    parts.append(pc.unique(ids))
        if not parts:
            return pa.array([], pa.string())
        ids = pc.unique(pa.chunked_array(parts, pa.string()))
        return ids.take(pc.sort_indices(ids))

    def abandon(self) -> None:
        """Remove the staging folder (after a swap it holds the old release), even when a second
        Ctrl-C or SIGTERM comes while it is removed."""
        with signals_held():
            shutil.rmtree(self.staging, ignore_errors=True)


def _part_ranges(runs: list, parts: list, ranges: tuple[IdRange, ...] | None) -> tuple[IdRange | None, ...]:
    """The ids each of `runs` then `parts` holds, where known: pass 2's parts, one per id range."""
    if ranges is None or len(parts) != len(ranges):
        return ()
    return (None,) * len(runs) + tuple(ranges)


def _names(paths: list[Path]) -> tuple[str, ...]:
    return tuple(str(path) for path in paths)


def _count_values(counter: Counter, column: pa.ChunkedArray) -> None:
    """counter.update(column.to_pylist()), without a Python string per row."""
    for entry in pc.value_counts(column).to_pylist():
        counter[entry["values"]] += entry["counts"]

