"""The Python API: clean one text, run a corpus, load a published corpus."""
from __future__ import annotations

import os

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.fs as pafs

from .document import Document
from .options import Options
from .publish.storage import join, resolve, shown
from .publish.validate import validate_release
from .steps import apply_steps, document_steps


class InvalidCorpus(ValueError):
    """The folder is not a valid published corpus; the message lists every violation."""


def clean_text(raw: str, *, title: str | None = None, url: str | None = None,
               published: str | None = None, author: str | None = None, id: str = "text",
               options: Options = Options()) -> Document:
    """Clean one article's text; the returned Document has `text`, metadata and `removals`.

    Fields you already know (title, url, published, author) win over what the text says. Where no
    title is given, the words of the url's slug help find the headline of a full-page scrape.
    If the document cannot be cleaned, `rejection` says why and `text` may be empty.
    """
    given = {k: v for k, v in (("title", title), ("url", url), ("published", published),
                               ("author", author)) if v}
    doc = Document(id=id, raw=raw, provenance="clean_text", given=given)
    return apply_steps(doc, document_steps(options), options.limits.seconds_per_document)


def load_corpus(path: str | os.PathLike = "dist", *, filesystem: pafs.FileSystem | None = None,
                validate: bool = True) -> pa.Table:
    """The published corpus as a pyarrow Table sorted by id (`.to_pandas()` for a DataFrame).

    `path` is a local folder, a URI pyarrow's filesystems understand (file://, s3://, gs://,
    hdfs://), or a path on `filesystem` (a pyarrow FileSystem such as SubTreeFileSystem or
    S3FileSystem, or an fsspec one). Validation reads manifest.json and every shard through the
    same filesystem, so a remote release is checked exactly like a local one.
    """
    fs, root = resolve(path, filesystem)
    if fs.get_file_info(join(root, "manifest.json")).type != pafs.FileType.File:
        raise FileNotFoundError(f"no release at {shown(os.fspath(path))}: manifest.json is missing (a release "
                                "is complete only once its manifest is written, last)")
    if validate:
        report = validate_release(path, filesystem)
        if not report.ok:
            raise InvalidCorpus(report.to_text())
    return ds.dataset(join(root, "data"), format="parquet", filesystem=fs).to_table().sort_by("id")
