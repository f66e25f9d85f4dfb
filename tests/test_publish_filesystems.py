"""`load_corpus` and `validate_release` read a release through pyarrow's filesystems, not only a folder.

file:// URIs, pyarrow FileSystem objects (SubTreeFileSystem), an fsspec filesystem (in memory) and,
when moto's server is installed, a real S3 API: the manifest and every shard are read and checked
through the same filesystem as the data.
"""
from __future__ import annotations

import shutil

import pyarrow.fs as pafs
import pytest

from conftest import cli
from newsclean.api import InvalidCorpus, load_corpus
from newsclean.publish.validate import validate_release

SHARD = "data/train-00000-of-00001.parquet"


@pytest.fixture
def release(seeds_release, tmp_path):
    out = tmp_path / "dist"
    shutil.copytree(seeds_release, out)
    return out


def tamper(shard_bytes: bytes) -> bytes:
    return shard_bytes[:-100]


def test_file_uri(release):
    expected = load_corpus(release)
    assert load_corpus(release.as_uri()).equals(expected)
    assert validate_release(release.as_uri()).ok
    (release / SHARD).write_bytes(tamper((release / SHARD).read_bytes()))
    report = validate_release(release.as_uri())
    assert any(v.file == SHARD and "sha256" in v.check for v in report.violations)
    with pytest.raises(InvalidCorpus, match="sha256"):
        load_corpus(release.as_uri())


def test_validate_cli_takes_uris(release):
    valid = cli("validate", release.as_uri())
    assert valid.returncode == 0 and "valid" in valid.stdout
    unknown = cli("validate", "nope://user:secret@bucket/dist?secret_key=hidden")
    assert unknown.returncode == 2 and "cannot read nope://bucket/dist" in unknown.stderr
    assert "secret" not in unknown.stderr.replace("secret_key=***", "") and "hidden" not in unknown.stderr
    for not_a_release in (release.parent.as_uri() + "/missing", (release / SHARD).as_uri()):
        missing = cli("validate", not_a_release)
        assert missing.returncode == 2 and "is not a folder" in missing.stderr
    (release / SHARD).write_bytes(tamper((release / SHARD).read_bytes()))
    damaged = cli("validate", release.as_uri())
    assert damaged.returncode == 1 and "sha256" in damaged.stdout


def test_pyarrow_filesystem_objects(release):
    expected = load_corpus(release)
    root = pafs.SubTreeFileSystem(str(release), pafs.LocalFileSystem())
    assert load_corpus("", filesystem=root).equals(expected)
    parent = pafs.SubTreeFileSystem(str(release.parent), pafs.LocalFileSystem())
    assert load_corpus("dist", filesystem=parent).equals(expected)
    assert load_corpus(str(release), filesystem=pafs.LocalFileSystem()).equals(expected)
    assert validate_release("dist", filesystem=parent).rows["data"] == expected.num_rows


def test_fsspec_memory_filesystem(release):
    fsspec = pytest.importorskip("fsspec")
    memory = fsspec.filesystem("memory")
    memory.put(str(release), "/releases/dist", recursive=True)
    try:
        expected = load_corpus(release)
        assert load_corpus("/releases/dist", filesystem=memory).equals(expected)
        with memory.open(f"/releases/dist/{SHARD}", "rb") as handle:
            damaged = tamper(handle.read())
        with memory.open(f"/releases/dist/{SHARD}", "wb") as handle:
            handle.write(damaged)
        report = validate_release("/releases/dist", filesystem=memory)
        checks = {v.check for v in report.violations if v.file == SHARD}
        assert any("sha256" in c for c in checks) and any("unreadable" in c for c in checks), checks
    finally:
        memory.rm("/releases", recursive=True)


def test_s3_api_through_moto(release):
    """A release on an S3 server (moto's, in-process) validates and loads from s3://."""
    moto_server = pytest.importorskip("moto.server", reason="moto[server] is not installed")
    boto3 = pytest.importorskip("boto3")
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        client = boto3.client("s3", endpoint_url=f"http://{host}:{port}", region_name="us-east-1",
                              aws_access_key_id="test", aws_secret_access_key="test")
        client.create_bucket(Bucket="corpus")
        # Uploaded with plain PUTs: moto fumbles the multipart uploads pyarrow's writer makes.
        for path in sorted(p for p in release.rglob("*") if p.is_file()):
            client.put_object(Bucket="corpus", Key=f"dist/{path.relative_to(release).as_posix()}",
                              Body=path.read_bytes())
        uri = f"s3://test:test@corpus/dist?region=us-east-1&endpoint_override=http%3A%2F%2F{host}%3A{port}"
        report = validate_release(uri)
        assert report.ok and "test:test" not in report.to_text()  # credentials stay out of reports
        through_cli = cli("validate", uri)
        assert through_cli.returncode == 0 and "test:test" not in through_cli.stdout, through_cli.stderr
        assert load_corpus(uri).equals(load_corpus(release))
        client.put_object(Bucket="corpus", Key=f"dist/{SHARD}", Body=tamper((release / SHARD).read_bytes()))
        s3 = pafs.S3FileSystem(access_key="test", secret_key="test", region="us-east-1",
                               endpoint_override=f"http://{host}:{port}")
        report = validate_release("corpus/dist", filesystem=s3)
        assert any(v.file == SHARD and "sha256" in v.check for v in report.violations)
        with pytest.raises(InvalidCorpus):
            load_corpus(uri)
    finally:
        server.stop()
