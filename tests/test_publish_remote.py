"""A run publishing to an S3 API (moto's server, in-process): the same bytes as a local release,
the manifest written last, and a prefix without a manifest taken as no release at all."""
from __future__ import annotations

import dataclasses
import logging
import shutil
from contextlib import contextmanager
from pathlib import Path

import pyarrow.fs as pafs
import pytest

from conftest import cli
from newsclean import run
from newsclean.api import load_corpus
from newsclean.options import Options
from newsclean.publish.remote import build_folder, is_remote
from newsclean.publish.target import OutputRefused
from newsclean.publish.validate import validate_release
from test_determinism import _corpus, _release_bytes

moto_server = pytest.importorskip("moto.server", reason="moto[server] is not installed")


@pytest.fixture(scope="module")
def s3():
    """(the S3 filesystem, a function giving the s3:// URI of a key prefix) on moto's server."""
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    fs = pafs.S3FileSystem(access_key="test", secret_key="test", region="us-east-1",
                           endpoint_override=f"http://{host}:{port}", allow_bucket_creation=True,
                           allow_delayed_open=True)
    fs.create_dir("corpus")

    # allow_delayed_open: small objects are sent with one PUT (moto fumbles multipart uploads)
    def uri(prefix: str) -> str:
        return (f"s3://test:test@corpus/{prefix}?region=us-east-1&allow_delayed_open=true"
                f"&endpoint_override=http%3A%2F%2F{host}%3A{port}")

    yield fs, uri
    server.stop()


@pytest.fixture(scope="module")
def local(tmp_path_factory):
    root = tmp_path_factory.mktemp("remote")
    (root / "in").mkdir()
    inputs = _corpus(root / "in")
    run(inputs, root / "local")
    return inputs, root / "local"


def _remote_bytes(fs: pafs.FileSystem, prefix: str) -> dict[str, bytes]:
    found = {}
    for info in fs.get_file_info(pafs.FileSelector(f"corpus/{prefix}", recursive=True)):
        if info.type == pafs.FileType.File:
            with fs.open_input_stream(info.path) as stream:
                found[info.path[len(f"corpus/{prefix}/"):]] = stream.readall()
    return dict(sorted(found.items()))


def test_a_release_written_to_s3_validates_loads_and_is_the_local_bytes(s3, local):
    fs, uri = s3
    inputs, folder = local
    summary = run(inputs, uri("dist"))
    assert "test:test" not in summary.out
    assert _remote_bytes(fs, "dist") == _release_bytes(folder)
    assert validate_release(uri("dist")).ok
    assert load_corpus(uri("dist")).equals(load_corpus(folder))
    # replaced by a release of more, smaller shards: nothing of the old one is left beside it
    run(inputs, uri("dist"), dataclasses.replace(Options(), publish=dataclasses.replace(
        Options().publish, shard_rows=20)))
    assert validate_release(uri("dist")).ok
    assert len([n for n in _remote_bytes(fs, "dist") if n.startswith("data/")]) > 1
    run(inputs, uri("dist"))
    assert _remote_bytes(fs, "dist") == _release_bytes(folder)


def test_a_build_folder_that_cannot_be_removed_still_publishes_with_a_warning(s3, local, monkeypatch, caplog):
    """Once the release is uploaded, failing to remove the local folder it was built in (a file
    held open, access denied) is a warning naming it, not a failed run."""
    fs, uri = s3
    inputs, folder = local
    removed, build = [], build_folder(uri("held-open/dist"))
    real = shutil.rmtree

    def held_open(path, *args, **kwargs):
        if Path(path) != build:  # the release's own steps remove their temporary folders
            return real(path, *args, **kwargs)
        removed.append(path)
        raise PermissionError("a file is held open")

    monkeypatch.setattr(shutil, "rmtree", held_open)
    caplog.set_level(logging.INFO, logger="newsclean")
    summary = run(inputs, uri("held-open/dist"))
    assert summary.published > 0 and _remote_bytes(fs, "held-open/dist") == _release_bytes(folder)
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and "could not be removed" in r.getMessage()]
    assert len(removed) == 1 and len(warned) == 1
    assert str(removed[0]) in warned[0] and "a file is held open" in warned[0]
    assert build.exists()  # left for the user, as the warning says


def test_without_its_manifest_a_release_is_absent(s3, local):
    fs, uri = s3
    inputs, _ = local
    run(inputs, uri("cut-short"))
    fs.delete_file("corpus/cut-short/manifest.json")  # as a run killed while uploading leaves it
    report = validate_release(uri("cut-short"))
    assert not report.ok and [v.check for v in report.violations][0].startswith("missing: no release here")
    with pytest.raises(FileNotFoundError, match="no release at"):
        load_corpus(uri("cut-short"), validate=False)
    result = cli("validate", uri("cut-short"))
    assert result.returncode == 1 and "no release here" in result.stdout + result.stderr


def test_an_upload_cut_short_anywhere_leaves_no_release_and_the_manifest_goes_last(s3, local, monkeypatch):
    """Replacing a release in the store: the old manifest is deleted before anything else and the
    new one is the last object written, so an upload cut short after any number of objects leaves
    a prefix readers take for no release at all, never the old release mixed with the new."""
    import newsclean.publish.remote as remote

    fs, uri = s3
    inputs, _ = local
    smaller = dataclasses.replace(Options(), publish=dataclasses.replace(Options().publish, shard_rows=20))
    real, written = remote._upload, []

    def recorded(source: Path, target_fs: pafs.FileSystem, target: str) -> None:
        written.append(target.split("/replaced/", 1)[1])
        real(source, target_fs, target)

    run(inputs, uri("replaced"))
    with monkeypatch.context() as patch:
        patch.setattr(remote, "_upload", recorded)
        run(inputs, uri("replaced"), smaller)
    assert written[-1] == "manifest.json" and written.count("manifest.json") == 1 and len(written) > 3
    # cut short after this many of the old release's objects deleted, or of the new one's uploaded
    for deleted, uploaded in ((1, None), (None, 0), (None, 1), (None, len(written) - 1)):
        assert validate_release(uri("replaced")).ok  # a whole release to replace
        old = _remote_bytes(fs, "replaced")
        calls = {"deleted": 0, "uploaded": 0}

        def cut_short(source: Path, target_fs: pafs.FileSystem, target: str) -> None:
            if calls["uploaded"] == uploaded:
                raise OSError("upload cut short")
            calls["uploaded"] += 1
            real(source, target_fs, target)

        class CutDeletes:  # the store's filesystem, failing after `deleted` deletions
            def __init__(self, inner: pafs.FileSystem) -> None:
                self.inner = inner

            def delete_file(self, path: str) -> None:
                if calls["deleted"] == deleted:
                    raise OSError("upload cut short")
                calls["deleted"] += 1
                self.inner.delete_file(path)

            def __getattr__(self, name: str):
                return getattr(self.inner, name)

        resolve = remote.resolve
        with monkeypatch.context() as patch:
            patch.setattr(remote, "_upload", cut_short)
            patch.setattr(remote, "resolve", lambda where: (CutDeletes(resolve(where)[0]), resolve(where)[1]))
            with pytest.raises(OSError, match="upload cut short"):
                run(inputs, uri("replaced"), smaller)
        left = _remote_bytes(fs, "replaced")
        assert "manifest.json" not in left, (deleted, uploaded)
        assert len(left) == (len(old) - deleted if deleted is not None else uploaded), (deleted, uploaded)
        report = validate_release(uri("replaced"))
        assert not report.ok and report.violations[0].check.startswith(  # no data shards yet, or no manifest
            ("no Parquet files: not a published corpus", "missing: no release here")), (deleted, uploaded, report)
        with pytest.raises(FileNotFoundError, match="no release at"):
            load_corpus(uri("replaced"), validate=False)
        # the same command again, without --force: what the upload left is replaced (its record
        # beside the release says those files are newsclean's), and the record goes once published
        assert fs.get_file_info("corpus/.replaced.upload.json").type == pafs.FileType.File
        run(inputs, uri("replaced"))
        assert validate_release(uri("replaced")).ok
        assert fs.get_file_info("corpus/.replaced.upload.json").type == pafs.FileType.NotFound


@contextmanager
def upload_cut_after(monkeypatch, files: int):
    """The release's upload fails as a killed driver's would, after `files` of its files are written."""
    import newsclean.publish.remote as remote

    real, written = remote._upload, []

    def cut_short(source: Path, target_fs: pafs.FileSystem, target: str) -> None:
        if len(written) == files:
            raise OSError("upload cut short")
        written.append(target)
        real(source, target_fs, target)

    with monkeypatch.context() as patch:
        patch.setattr(remote, "_upload", cut_short)
        yield


def test_what_an_upload_cut_short_left_is_replaced_but_not_a_file_beside_it(s3, local, monkeypatch):
    """The upload's record names the files it may leave: a file put there since is nobody's
    the rerun may delete, so it is refused without --force, as at a prefix without a record."""
    fs, uri = s3
    inputs, folder = local
    with upload_cut_after(monkeypatch, 3), pytest.raises(OSError, match="upload cut short"):
        run(inputs, uri("cut-then-theirs"))
    with fs.open_output_stream("corpus/cut-then-theirs/notes.txt") as stream:
        stream.write(b"not ours")
    with pytest.raises(OutputRefused, match=r"holds what a newsclean upload cut short left, and files it does "
                                            r"not list \(notes.txt\)"):
        run(inputs, uri("cut-then-theirs"))
    fs.delete_file("corpus/cut-then-theirs/notes.txt")
    run(inputs, uri("cut-then-theirs"))
    assert _remote_bytes(fs, "cut-then-theirs") == _release_bytes(folder)


@pytest.mark.parametrize("refused", ["open_output_stream", "delete_file"])
def test_a_store_refusing_the_upload_record_still_publishes_with_a_warning(s3, local, monkeypatch, caplog, refused):
    """Write access to the release's prefix only: the upload goes on without its record (a rerun
    after a cut then needs --force), or leaves it beside the published release, saying so."""
    import newsclean.publish.remote as remote

    fs, uri = s3
    inputs, folder = local

    class NoRecord:  # the store's filesystem, refusing the record beside the release
        def __init__(self, inner: pafs.FileSystem) -> None:
            self.inner = inner

        def __getattr__(self, name: str):
            method = getattr(self.inner, name)
            if name != refused:
                return method

            def guarded(path: str, *args, **kwargs):
                if path.endswith(".upload.json"):
                    raise PermissionError("access denied")
                return method(path, *args, **kwargs)
            return guarded

    resolve = remote.resolve
    caplog.set_level(logging.INFO, logger="newsclean")
    with monkeypatch.context() as patch:
        patch.setattr(remote, "resolve", lambda where: (NoRecord(resolve(where)[0]), resolve(where)[1]))
        run(inputs, uri(f"no-record-{refused}"))
    assert _remote_bytes(fs, f"no-record-{refused}") == _release_bytes(folder)
    assert validate_release(uri(f"no-record-{refused}")).ok
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warned) == 1 and "access denied" in warned[0]
    if refused == "open_output_stream":
        assert "its rerun needs --force" in warned[0] and "test:test" not in warned[0]
    else:
        assert "is published" in warned[0] and f".no-record-{refused}.upload.json" in warned[0]


def test_foreign_files_at_the_uri_are_not_replaced_without_force(s3, local):
    fs, uri = s3
    inputs, _ = local
    with fs.open_output_stream("corpus/theirs/notes.txt") as stream:
        stream.write(b"not ours")
    with pytest.raises(OutputRefused, match="no newsclean manifest.json"):
        run(inputs, uri("theirs"))
    assert _remote_bytes(fs, "theirs") == {"notes.txt": b"not ours"}
    run(inputs, uri("theirs"), force=True)
    assert validate_release(uri("theirs")).ok


def test_the_cli_publishes_to_s3(s3, local):
    fs, uri = s3
    inputs, folder = local
    result = cli("run", *map(str, inputs), "--out", uri("from-cli"))
    assert result.returncode == 0, result.stderr
    assert "test:test" not in result.stdout + result.stderr
    assert _remote_bytes(fs, "from-cli") == _release_bytes(folder)
    assert cli("validate", uri("from-cli")).returncode == 0


def test_which_outputs_are_remote():
    assert is_remote("s3://bucket/dist") and is_remote("gs://bucket/dist")
    assert not is_remote("dist") and not is_remote("file:///srv/dist")


def test_the_upload_record_is_beside_the_release_and_none_at_a_buckets_root():
    from newsclean.publish.remote import upload_record

    assert upload_record("bucket/runs/corpus") == "bucket/runs/.corpus.upload.json"
    assert upload_record("bucket/corpus/") == "bucket/.corpus.upload.json"
    assert upload_record("bucket") is None
