"""Pass 2's signatures written in parts (one pair of files per id range, each numbered from 0,
listed with their rows: `corpus/signature_parts.py`) read as the one file the driver's stream
writes: every reader (columns, row groups, slices of wanted rows, raw signatures, the ids at
given rows, the links and the fold) gives the one file's values, however the rows are cut
(parts of one row, empty parts, one part), and no file is rewritten."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from newsclean.corpus import dedup
from newsclean.corpus.dedup import META, SignatureWriter
from newsclean.corpus.signature_parts import SignatureParts, parts_index, raw_path, write_parts_index
from newsclean.options import DedupOptions
from newsclean.publish.data_shards import ids_at
from test_ray_corpus_tasks import _components, _signatures

CUTS = {"one part": [], "a row each at the start": [1, 2, 3], "empty parts": [0, 0, 50, 50, 50, 399, 400],
        "many": list(range(7, 400, 23))}


def _in_parts(whole: Path, folder: Path, cuts: list[int], options: DedupOptions) -> Path:
    """`whole`'s rows cut at `cuts` into parts numbered from 0, each with its raw file, listed
    as the parts of `folder/signatures.parquet` (as the id ranges' tasks leave them)."""
    table = pq.read_table(whole)
    width = 4 * options.num_perm
    raw = raw_path(whole).read_bytes()
    edges = [0, *cuts, table.num_rows]
    parts, rows = [], []
    for number, (low, high) in enumerate(zip(edges[:-1], edges[1:])):
        part = folder / f"range-{number:05d}" / "signatures.parquet"
        part.parent.mkdir(parents=True)
        piece = table.slice(low, high - low)
        piece = piece.set_column(0, "idx", pa.array(np.arange(high - low, dtype=np.int64)))
        pq.write_table(piece, part, row_group_size=17)
        raw_path(part).write_bytes(raw[low * width:high * width])
        parts.append(part)
        rows.append(high - low)
    path = folder / "signatures.parquet"
    write_parts_index(path, parts, rows)
    return path


@pytest.mark.parametrize("way", sorted(CUTS))
def test_parts_read_as_the_one_file(tmp_path, way):
    options = dataclasses.replace(DedupOptions(), near=True)
    whole = tmp_path / "whole" / "signatures.parquet"
    whole.parent.mkdir()
    rows = _signatures(whole, options, 29)
    path = _in_parts(whole, tmp_path / "parts", CUTS[way], options)
    one, parts = SignatureParts.of(whole), SignatureParts.of(path)
    assert len(one.paths) == 1 and len(parts.paths) == len(CUTS[way]) + 1 and not path.exists()
    assert parts.num_rows() == one.num_rows() == rows
    for name in ("idx", "exact", "band_00", "band_07"):
        assert np.array_equal(parts.column(name), one.column(name)), name
    groups = parts.row_groups()
    assert [group[2] for group in groups] == sorted(group[2] for group in groups) and sum(g[3] for g in groups) == rows
    assert parts.read(groups, ["idx", "id"]).to_pylist() == pq.read_table(whole, columns=["idx", "id"]).to_pylist()
    assert parts.read(groups[3:5], ["idx"])["idx"].to_pylist() == list(range(groups[3][2], groups[5][2]))
    wanted = np.array([0, 1, 2, 60, 61, 62, 200, 399], np.int64)
    assert np.array_equal(parts.signatures(wanted, options.num_perm), one.signatures(wanted, options.num_perm))
    assert dedup._load_rows(path, wanted, list(META)).to_pylist() == dedup._load_rows(whole, wanted, list(META)).to_pylist()
    assert ids_at(path, wanted.tolist()) == ids_at(whole, wanted.tolist()) == [f"doc-{i:04d}" for i in wanted]
    assert _components(dedup._linked(path, rows, options)) == _components(dedup._linked(whole, rows, options))
    got, expected = dedup.cluster(path, rows, options), dedup.cluster(whole, rows, options)
    assert (got.rows, got.duplicates) == (expected.rows, expected.duplicates) and expected.clusters == 4


def test_a_stream_written_over_parts_replaces_their_list(tmp_path):
    """A run whose pass 2 is one stream, where an earlier run left parts: its file is read."""
    options = DedupOptions()
    whole = tmp_path / "whole" / "signatures.parquet"
    whole.parent.mkdir()
    _signatures(whole, options, 400)
    path = _in_parts(whole, tmp_path / "parts", [100], options)
    assert len(SignatureParts.of(path).paths) == 2
    SignatureWriter(path, options).close()
    assert not parts_index(path).exists() and SignatureParts.of(path) == SignatureParts((str(path),), (0,))
