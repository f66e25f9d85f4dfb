"""Where a release lives: a local folder, a URI pyarrow's filesystems understand, or a path on a
filesystem object; the validator and `load_corpus` read every file through this one door."""
from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pyarrow as pa_arrow
import pyarrow.fs as pafs
import pyarrow.parquet as pq


def sha256_file(path: str | Path, filesystem: pafs.FileSystem | None = None) -> str:
    digest = hashlib.sha256()
    with (Path(path).open("rb") if filesystem is None else filesystem.open_input_stream(str(path))) as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def resolve(location: str | os.PathLike, filesystem: pafs.FileSystem | None = None) -> tuple[pafs.FileSystem, str]:
    """(filesystem, folder path inside it) for a local folder, a URI pyarrow knows, or a path on `filesystem`."""
    text = os.fspath(location)
    if filesystem is not None:
        if not isinstance(filesystem, pafs.FileSystem):  # an fsspec filesystem (s3fs, gcsfs, hf ...)
            filesystem = pafs.PyFileSystem(pafs.FSSpecHandler(filesystem))
        return filesystem, text.rstrip("/")
    if "://" in text:
        filesystem, path = pafs.FileSystem.from_uri(text)
        return filesystem, path.rstrip("/")
    return pafs.LocalFileSystem(), Path(text).absolute().as_posix()


# Query parameters of pyarrow's URIs (and common signed URLs) that carry secrets.
SECRET_PARAMETERS = re.compile(r"key|secret|token|password|credential|signature|sig$", re.IGNORECASE)
USER_INFO = re.compile(r"(?<=://)[^/@\s]*@")


def shown(location: str | os.PathLike) -> str:
    """The location as a report shows it: a URI without the credentials it may carry (user
    and password, or secret query parameters such as `secret_key`)."""
    text = os.fspath(location)
    parts = urlsplit(text) if "://" in text else None
    if parts is None:
        return text
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    query = urlencode([(k, "***" if SECRET_PARAMETERS.search(k) else v)
                       for k, v in parse_qsl(parts.query, keep_blank_values=True)], safe="*%")
    return urlunsplit(parts._replace(netloc=netloc, query=query))


def scrubbed(message: str, location: str | os.PathLike) -> str:
    """An error message that may quote the location, with its credentials taken out."""
    text = os.fspath(location)
    return USER_INFO.sub("", message.replace(text, shown(text)))


def join(root: str, *parts: str) -> str:
    return "/".join(p for p in (root, *parts) if p)


class Release:
    """A published folder on some filesystem: what the checks below read through."""

    def __init__(self, location: str | os.PathLike, filesystem: pafs.FileSystem | None = None):
        self.fs, self.root = resolve(location, filesystem)

    def path(self, name: str) -> str:
        return join(self.root, name)

    def info(self, name: str) -> pafs.FileInfo:
        return self.fs.get_file_info(self.path(name))

    def files(self, folder: str, suffix: str = "") -> list[str]:
        """Names (relative to the release) of the files in `folder`, sorted; hidden files left out."""
        selector = pafs.FileSelector(self.path(folder), allow_not_found=True)
        names = [f"{folder}/{info.base_name}" for info in self.fs.get_file_info(selector)
                 if info.type == pafs.FileType.File and not info.base_name.startswith(".")
                 and info.base_name.endswith(suffix)]
        return sorted(names)

    def read_text(self, name: str) -> str:
        with self.fs.open_input_stream(self.path(name)) as stream:
            return stream.readall().decode("utf-8")

    def read_table(self, name: str) -> pa_arrow.Table:
        return pq.read_table(self.path(name), filesystem=self.fs)

    def num_rows(self, name: str) -> int:
        with self.fs.open_input_file(self.path(name)) as handle:
            return pq.ParquetFile(handle).metadata.num_rows
