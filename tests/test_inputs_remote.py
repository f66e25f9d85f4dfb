"""Inputs on an S3 API (moto's server, in-process): a prefix is read like a local folder (every
reader, streamed through pyarrow's filesystems), and the release is the local one but for the
provenance, which names the objects' URIs."""
from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq
import pytest

from conftest import cli
from newsclean import run
from newsclean.publish.validate import validate_release
from test_determinism import _corpus, _release_bytes
from test_publish_remote import s3  # noqa: F401,F811  (the fixture: moto's S3 server)
from test_readers_warc import page, write_warc


def _inputs(folder: Path) -> Path:
    """The determinism corpus in four formats (JSONL, gzipped JSONL, Parquet, text), a WARC
    archive and an HTML page, plus a file no reader takes and a hidden one (both skipped)."""
    alpha, beta, gamma = _corpus(folder)
    alpha.with_suffix(".jsonl.gz").write_bytes(gzip.compress(alpha.read_bytes(), mtime=0))
    alpha.unlink()
    rows = [json.loads(line) for line in gamma.read_text(encoding="utf-8").splitlines() if line.startswith('{"id": "gamma')]
    pq.write_table(pa.Table.from_pylist(rows), folder / "gamma.parquet", row_group_size=7)
    gamma.unlink()
    (folder / "nested").mkdir()
    beta.rename(folder / "nested" / "beta.jsonl")
    (folder / "letter.txt").write_text(rows[3]["text"].replace("Gamma", "Delta"), encoding="utf-8")
    write_warc(folder / "pages.warc.gz")
    (folder / "page.html").write_bytes(page("Harbour ferry returns", rows[5]["text"].replace("\n\n", "\n")))
    (folder / "notes.md").write_text("not an input\n", encoding="utf-8")
    (folder / ".hidden.jsonl").write_text('{"id": "hidden", "text": "never read"}\n', encoding="utf-8")
    return folder


def _upload(fs: pafs.FileSystem, folder: Path, prefix: str) -> None:
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            with fs.open_output_stream(f"corpus/{prefix}/{path.relative_to(folder).as_posix()}") as stream:
                stream.write(path.read_bytes())


def _table(out: Path, kind: str, without: tuple[str, ...] = ("provenance",)) -> pa.Table:
    table = pa.concat_tables(pq.read_table(p) for p in sorted((out / kind).glob("*.parquet")))
    return table.drop_columns([c for c in without if c in table.column_names])


@pytest.fixture(scope="module")
def uploaded(s3, tmp_path_factory):
    fs, uri = s3
    folder = tmp_path_factory.mktemp("inputs") / "in"
    folder.mkdir()
    _upload(fs, _inputs(folder), "in")
    return folder, uri


def test_a_prefix_is_read_like_the_local_folder(uploaded, tmp_path):
    folder, uri = uploaded
    local = run([folder], tmp_path / "local")
    remote = run([uri("in")], tmp_path / "remote")
    for field in ("read", "published", "rejected", "removed_lines", "skipped_files", "rejected_by_reason"):
        assert getattr(remote, field) == getattr(local, field), field
    assert remote.skipped_files == {".jsonl": 1, ".md": 1}
    assert local.read > 70 and local.rejected > 0 and local.corpus.counts()["duplicates_folded"] > 0
    for kind in ("data", "removals", "rejects", "duplicates"):
        assert _table(tmp_path / "remote", kind).equals(_table(tmp_path / "local", kind)), kind
    provenance = set(_table(tmp_path / "remote", "data", ())["provenance"].to_pylist())
    assert {re.sub(r"[:@]\d+$", "", p) for p in provenance} == {
        "s3://corpus/in/alpha.jsonl.gz", "s3://corpus/in/nested/beta.jsonl", "s3://corpus/in/gamma.parquet",
        "s3://corpus/in/letter.txt", "s3://corpus/in/pages.warc.gz", "s3://corpus/in/page.html"}
    manifest = json.loads((tmp_path / "remote" / "manifest.json").read_text())
    assert "test:test" not in json.dumps(manifest) and validate_release(tmp_path / "remote").ok


def test_objects_given_one_by_one_in_any_order_give_the_same_tables(uploaded, tmp_path):
    _, uri = uploaded
    names = ["nested/beta.jsonl", "letter.txt", "pages.warc.gz", "gamma.parquet", "page.html", "alpha.jsonl.gz"]
    outs = []
    for number, order in enumerate((names, names[::-1])):
        out = tmp_path / f"out-{number}"
        run([uri(f"in/{name}") for name in order], out)
        outs.append({name: data for name, data in _release_bytes(out).items()
                     if name.split("/")[0] in ("data", "removals", "rejects", "duplicates")})
    assert outs[0] == outs[1]
    whole = _release_bytes(_run_prefix(uri, tmp_path))
    assert {name: whole[name] for name in outs[0]} == outs[0]


def _run_prefix(uri, tmp_path: Path) -> Path:
    run([uri("in")], tmp_path / "prefix")
    return tmp_path / "prefix"


def test_the_cli_reads_a_prefix_and_refuses_a_missing_one(uploaded, tmp_path):
    _, uri = uploaded
    out = tmp_path / "cli"
    result = cli("run", uri("in/"), "--out", str(out), "--workers", "2")
    assert result.returncode == 0, result.stderr
    assert cli("validate", str(out)).returncode == 0
    missing = cli("run", uri("nothing-here"), "--out", str(tmp_path / "none"))
    assert missing.returncode == 2 and "input not found: s3://corpus/nothing-here" in missing.stderr
    assert "test:test" not in missing.stderr and not (tmp_path / "none").exists()
