"""Publishing to an object store (`s3://`, `gs://`, any URI pyarrow's filesystems take).

An object store has no atomic rename, so a release there becomes visible by its manifest: the
release is built and checked in a local folder as usual (`ReleaseBuilder`), then uploaded with
manifest.json written last; a replaced release loses its manifest first. Readers (`validate`,
`load_corpus`) treat a folder without a manifest as no release, so at no moment is a half-written
or half-replaced release taken for a whole one. Two runs writing to one URI at once are not
prevented (an object store has no lock; a local output's `OutputLock` does not reach it).

An upload cut short (the driver killed) leaves files and no manifest, which a run refuses to
replace without `--force` (they could be anyone's). So before it deletes or writes anything the
upload records, beside the release (`.NAME.upload.json`, none at a bucket's root), every file it
may leave there, and deletes that record once the manifest is written: a rerun of the same
command then replaces what the upload left, and resumes from the units it staged.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path

import pyarrow.fs as pafs

from .storage import join, resolve, shown
from .target import RELEASE_FILES, OutputRefused

MANIFEST = "manifest.json"
UPLOAD_RECORD = ".{name}.upload.json"  # beside the release at `name` while it is being uploaded
BLOCK = 8 << 20  # bytes read and written at a time while uploading

log = logging.getLogger(__name__)


def is_remote(out: str | os.PathLike) -> bool:
    """A URI of another filesystem than the local one (file:// and plain paths are local)."""
    text = os.fspath(out)
    return "://" in text and not text.startswith("file://")


def build_folder(uri: str) -> Path:
    """The local folder a release for `uri` is built in: the same for every run to that URI,
    under the system's temporary folder (the Ray engine's units are staged beside the URI, in
    its store, except for a bucket's root: beside this folder; `engines.staging.stage_for`)."""
    key = hashlib.sha256(shown(uri).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / "newsclean-builds" / key / "release"


def _listing(fs: pafs.FileSystem, root: str) -> list[str]:
    selector = pafs.FileSelector(root, recursive=True, allow_not_found=True)
    return sorted(info.path[len(root) + 1:] for info in fs.get_file_info(selector)
                  if info.type == pafs.FileType.File)


def _listed_by_manifest(fs: pafs.FileSystem, root: str) -> set[str] | None:
    """The files the release at `root` accounts for, or None without a newsclean manifest."""
    try:
        with fs.open_input_stream(join(root, MANIFEST)) as stream:
            manifest = json.loads(stream.readall().decode("utf-8"))
        if manifest["producer"]["package"] != "newsclean":
            return None
        return {entry["path"] for entry in manifest["files"]} | set(RELEASE_FILES)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def upload_record(root: str) -> str | None:
    """Where the upload of the release at `root` records the files it may leave: beside it (a
    bucket's root has nothing beside it: None)."""
    parent, _, name = root.rstrip("/").rpartition("/")
    return join(parent, UPLOAD_RECORD.format(name=name)) if parent and name else None


def _listed_by_upload(fs: pafs.FileSystem, root: str) -> set[str] | None:
    """The files an upload to `root` cut short may have left there, or None without its record."""
    record = upload_record(root)
    if record is None:
        return None
    try:
        with fs.open_input_stream(record) as stream:
            written = json.loads(stream.readall().decode("utf-8"))
        if written["producer"]["package"] != "newsclean":
            return None
        return set(written["files"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def check_remote_output(uri: str, force: bool = False) -> None:
    """Raise OutputRefused unless a run may publish at `uri`: nothing there, a previous release
    holding only what its manifest lists, what a newsclean upload cut short left (its record),
    or anything with `force` (as `target.check_output`)."""
    fs, root = resolve(uri)
    existing = _listing(fs, root)
    if not existing or force:
        return
    listed, what = _listed_by_manifest(fs, root), "is a newsclean release but also holds files its manifest"
    if listed is None and MANIFEST not in existing:  # an upload cut short: what it says it left
        listed, what = _listed_by_upload(fs, root), "holds what a newsclean upload cut short left, and files it"
    if listed is None:
        raise OutputRefused(f"--out {shown(uri)} holds files and no newsclean manifest.json, so a run "
                            "would delete them; choose another --out, or pass --force to replace it")
    unlisted = [name for name in existing if name not in listed]
    if unlisted:
        raise OutputRefused(f"--out {shown(uri)} {what} does not list ({', '.join(unlisted[:3])}); "
                            "move them, or pass --force")


def _upload(source: Path, fs: pafs.FileSystem, target: str) -> None:
    with source.open("rb") as handle, fs.open_output_stream(target) as stream:
        for block in iter(lambda: handle.read(BLOCK), b""):
            stream.write(block)


def upload_release(folder: Path, uri: str) -> None:
    """Put the release built in `folder` at `uri`: the record of what the upload may leave written
    beside it first, the old release's manifest deleted (it is then absent to readers), its files
    next, the new files, the new manifest last, then the record deleted."""
    fs, root = resolve(uri)
    old = _listing(fs, root)
    names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    record = upload_record(root)
    if record is not None:  # what a cut-short upload may leave, for the rerun (check_remote_output)
        try:
            with fs.open_output_stream(record) as stream:
                stream.write(json.dumps({"producer": {"package": "newsclean"},
                                         "files": sorted({*old, *names})}).encode("utf-8"))
        except OSError as exc:  # e.g. write access to the release's prefix only: upload without it
            log.warning("no record of the upload could be written beside %s (%s): if the upload is cut "
                        "short, its rerun needs --force", shown(uri), exc)
            record = None
    if MANIFEST in old:
        fs.delete_file(join(root, MANIFEST))
    for name in old:
        if name != MANIFEST:
            fs.delete_file(join(root, name))
    for name in names:
        if name != MANIFEST:
            _upload(folder / name, fs, join(root, name))
    _upload(folder / MANIFEST, fs, join(root, MANIFEST))
    if record is not None:
        try:
            fs.delete_file(record)
        except OSError as exc:  # published all the same: a record beside a whole release is ignored
            log.warning("the release is published, but the record of its upload (%s beside it) could not "
                        "be removed (%s); delete it by hand", UPLOAD_RECORD.format(name=root.rsplit("/", 1)[-1]), exc)
