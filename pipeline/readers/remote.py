"""Inputs on an object store: `s3://bucket/prefix/`, `gs://...`, any URI pyarrow's filesystems
take (credentials as pyarrow takes them: environment, instance role, or the URI's query).

A URI names one object or every object under a prefix. Each object is read as a file of its kind
(by its name, as a local file), streamed through pyarrow's filesystem: nothing is copied to local
disk first. A Parquet input is read with ranged reads (it needs random access).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Iterator
from urllib.parse import urlsplit

import pyarrow.fs as pafs

from ..publish.storage import resolve, shown


def is_input_uri(text: str | os.PathLike) -> bool:
    """An input of another filesystem than the local one (file:// is read as a local path)."""
    text = os.fspath(text)
    return "://" in text and not text.startswith("file://")


@dataclass(frozen=True)
class RemoteFile:
    """One object, with what the readers use of a local file's Path: its name, `open("rb")`."""

    fs: pafs.FileSystem
    key: str  # the object's path on `fs` (bucket/prefix/name)
    scheme: str
    size: int
    mtime_ns: int

    @property
    def name(self) -> str:
        return PurePosixPath(self.key).name

    @property
    def suffix(self) -> str:
        return PurePosixPath(self.key).suffix

    def open(self, mode: str = "rb") -> BinaryIO:
        if mode != "rb":
            raise ValueError("an input object is only read")
        return self.fs.open_input_stream(self.key)  # type: ignore[return-value]

    def open_random_access(self) -> BinaryIO:
        return self.fs.open_input_file(self.key)  # type: ignore[return-value]

    def as_posix(self) -> str:
        """scheme://bucket/key: no credentials, no query (what provenance and the card show)."""
        return f"{self.scheme}://{self.key}"

    __str__ = as_posix


@dataclass(frozen=True)
class RemoteInput:
    """An input given as a URI."""

    uri: str

    def as_posix(self) -> str:
        return shown(self.uri)

    __str__ = as_posix

    def _info(self) -> tuple[pafs.FileSystem, str, pafs.FileInfo]:
        fs, root = resolve(self.uri)
        return fs, root, fs.get_file_info(root)

    def exists(self) -> bool:
        return self._info()[2].type != pafs.FileType.NotFound

    def objects(self) -> Iterator[tuple[RemoteFile, bool]]:
        """(object, whether its name is hidden) for the object named, or for every object under
        the prefix, sorted; objects under a hidden folder (a name starting with ".") are left out,
        as a local folder's are."""
        fs, root, info = self._info()
        scheme = urlsplit(self.uri).scheme
        if info.type == pafs.FileType.File:
            yield RemoteFile(fs, info.path, scheme, info.size, info.mtime_ns or 0), False
            return
        if info.type == pafs.FileType.NotFound:
            raise FileNotFoundError(f"input not found: {self.as_posix()}")
        found = fs.get_file_info(pafs.FileSelector(root, recursive=True))
        for item in sorted((f for f in found if f.type == pafs.FileType.File), key=lambda f: f.path):
            parts = PurePosixPath(item.path[len(root):].lstrip("/")).parts
            if any(part.startswith(".") for part in parts[:-1]):
                continue
            yield RemoteFile(fs, item.path, scheme, item.size, item.mtime_ns or 0), parts[-1].startswith(".")


def input_path(given: str | os.PathLike) -> Path | RemoteInput:
    """An input as given on the command line or to `run`: a local path, or a URI."""
    text = os.fspath(given)
    if is_input_uri(text):
        return RemoteInput(text)
    if text.startswith("file://"):
        return Path(urlsplit(text).path)
    return Path(given)
