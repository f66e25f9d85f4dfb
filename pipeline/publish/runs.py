"""The release's sorted runs: the data, removals and rejects in files sorted by their keys, which
the release builder merges into the published order.

Runs bound memory at any corpus size: the builder buffers batches up to SPILL_BYTES and spills
them as one sorted run of each table. With an object-store unit stage the workers stage each
unit already as such runs (`engines.unit_runs`, with these schemas and keys), and the first merge
round copies them into local runs; what follows sees local runs either way.
"""
from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.fs as pafs

from newsclean.schemas import Corpus, Rejects, Removals, arrow_schema

from ..corpus.dedup import signature_field
from ..executor import release_memory
from ..options import CorpusOptions, PublishOptions
from .repeats import POSITION, POSITION_FIELD
from .shards import MERGE_BATCH_ROWS, GroupMerger, merge_staged, reduce_runs, sort_table, write_parquet

# Sorted runs of about this much Arrow data: bounds memory at any corpus size. 16 MiB (was 64):
# the buffered batches, their sorted copy and the Parquet writer's buffers are all alive at the
# spill, so this is paid ~3 times over at the peak; more runs cost the final merge little.
SPILL_BYTES = 16 << 20
# Sorted runs are read back once by the merge and deleted: fast compression, not the release's
# (zstd 9 on the runs cost the main process as much as the rest of its work per batch).
# Small row groups: the merge holds one per open run.
RUN_OPTIONS = PublishOptions(compression="zstd", compression_level=1, row_group_rows=MERGE_BATCH_ROWS)
# The sorted runs' keys. Data: rows of one id in canonical input order, the first of them the one
# published (publish/repeats.py); the data shards' order is the same, by id alone, ids being unique.
KEYS = {"data": ("id", POSITION), "removals": ("id", "line"), "rejects": ("id", "provenance")}
MODELS = {"data": Corpus, "removals": Removals, "rejects": Rejects}  # the tables spilled in runs


def run_schemas(corpus: CorpusOptions) -> dict[str, pa.Schema]:
    """The sorted runs' schemas: the data's also carry each row's MinHash signature, made in the
    batch workers, and its input position (the corpus stage reads the signature, the published
    shards leave both out); the removals carry the position of their row."""
    schemas = {kind: arrow_schema(model) for kind, model in MODELS.items()}
    schemas["data"] = schemas["data"].append(signature_field(corpus.dedup)).append(POSITION_FIELD)
    schemas["removals"] = schemas["removals"].append(POSITION_FIELD)
    return schemas


class SortedRuns:
    """Each table's sorted runs in `folder`: spilled here from the batches (`add`), or staged by
    the workers, one run per unit and table (`add_staged`), never both in one run."""

    def __init__(self, folder: Path, corpus: CorpusOptions):
        self.folder = folder
        self.schemas = run_schemas(corpus)
        self.buffers: dict[str, list[pa.Table]] = {kind: [] for kind in KEYS}
        self.buffered_bytes = 0
        self.paths: dict[str, list[Path]] = {kind: [] for kind in KEYS}  # local runs, in order
        # runs the workers staged, on `staged_fs`: copied into `paths` by `merge_staged`
        self.staged: dict[str, list[str]] = {kind: [] for kind in KEYS}
        self.staged_fs: pafs.FileSystem | None = None

    def add(self, tables: dict[str, pa.Table]) -> None:
        """A batch's tables (KEYS' kinds), buffered; spilled once SPILL_BYTES are held."""
        if self.staged_fs is not None:
            raise ValueError("ReleaseBuilder.add after add_runs: a builder takes batches or staged runs")
        for kind, table in tables.items():
            if table.num_rows:
                self.buffers[kind].append(table)
                self.buffered_bytes += table.nbytes
        if self.buffered_bytes >= SPILL_BYTES:
            self.spill()

    def add_staged(self, runs: dict[str, str], filesystem: pafs.FileSystem) -> None:
        """A unit's runs that have rows, paths on `filesystem`; units in plan order."""
        if self.buffered_bytes or any(self.paths.values()):
            raise ValueError("ReleaseBuilder.add_runs after add: a builder takes batches or staged runs")
        self.staged_fs = filesystem
        for kind, path in runs.items():
            self.staged[kind].append(path)

    def spill(self) -> None:
        """The buffered rows written as one sorted run of each table that has any."""
        for kind, tables in self.buffers.items():
            if not tables:
                continue
            run = self.folder / f"{kind}-{len(self.paths[kind]):05d}.parquet"
            schema = self.schemas[kind]
            table = pa.concat_tables([t.select(schema.names) for t in tables]).cast(schema)
            write_parquet(sort_table(table, KEYS[kind]), run, RUN_OPTIONS, dictionary=False)
            self.paths[kind].append(run)
            self.buffers[kind] = []
        self.buffered_bytes = 0
        release_memory()

    def merge_staged(self, merger: GroupMerger | None) -> None:
        """The staged units' runs merged in groups into local runs (the first merge round), by
        `merger` (the engine's tasks) or here."""
        for kind, staged in self.staged.items():
            if staged:
                self.paths[kind] = merge_staged(staged, self.staged_fs, self.folder, kind, KEYS[kind],
                                                self.schemas[kind], RUN_OPTIONS, merger=merger)

    def reduce(self, kind: str, merger: GroupMerger | None = None) -> list[Path]:
        """`kind`'s runs merged down to what one merge can take (`shards.reduce_runs`)."""
        return reduce_runs(self.paths[kind], KEYS[kind], self.schemas[kind], RUN_OPTIONS, merger=merger)
