"""The files that describe a release: manifest.json, the dataset card README.md, croissant.json."""
from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from newsclean.schemas import Corpus, Duplicates, Rejects, Removals, arrow_schema

from ..cleaning.rules import relaxed_families
from ..version import __version__
from .card import dataset_card
from .croissant import croissant
from .manifest_check import METADATA_FILES
from .storage import sha256_file

if TYPE_CHECKING:
    from ..options import Options
    from ..run import RunSummary
    from .release import ReleaseBuilder

MANIFEST_VERSION = 2  # 2: metadata_files (the card's and croissant.json's checksums)


def package_version() -> str:
    return __version__


def body_model_fingerprint() -> str:
    """The shipped body model's file: a retrained model can change the output as options do."""
    from importlib import resources

    model = resources.files("newsclean.cleaning.body").joinpath("body_model.npz").read_bytes()
    return hashlib.sha256(model).hexdigest()


def schema_fingerprint() -> str:
    text = "\n".join(arrow_schema(model).to_string(show_schema_metadata=True)
                     for model in (Corpus, Removals, Rejects, Duplicates))
    return hashlib.sha256(text.encode()).hexdigest()


def build_manifest(files: list[dict], summary: "RunSummary", options: "Options",
                   input_sha256: str) -> dict:
    totals: dict[str, dict[str, int]] = {}
    for entry in files:
        total = totals.setdefault(entry["table"], {"files": 0, "rows": 0, "bytes": 0})
        total["files"] += 1
        total["rows"] += entry["rows"]
        total["bytes"] += entry["bytes"]
    return {
        "manifest_version": MANIFEST_VERSION,
        "producer": {"package": "newsclean", "version": package_version(),
                     "body_model_sha256": body_model_fingerprint()},
        "schema_sha256": schema_fingerprint(),
        "config_sha256": options.fingerprint(),
        "relaxed_families": list(relaxed_families(options.rules)),  # rule families switched off
        "config": {k: v for k, v in options.to_dict().items() if k not in ("workers", "batch_docs")},
        "input": {"documents": summary.read, "bytes": summary.input_bytes, "sha256": input_sha256,
                  "skipped_files": summary.skipped_files, "paths": summary.inputs},
        "counts": {"published": summary.published, "rejected": summary.rejected,
                   "rejected_by_reason": summary.rejected_by_reason,
                   "removed_lines": summary.removed_lines, "removed_by_rule": summary.removed_by_rule,
                   "corpus": summary.corpus.counts()},
        "totals": totals,
        "files": files,
    }


def write_release_metadata(builder: "ReleaseBuilder", files: list[dict], summary: "RunSummary",
                           options: "Options", input_sha256: str) -> None:
    """The report, the card and croissant.json, made from the tables and the manifest; then the
    manifest, which also holds their checksums (`metadata_files`), so that an edited card fails
    validation like a shard."""
    from ..report import report_html

    manifest = build_manifest(files, summary, options, input_sha256)
    builder.write_text("report.html", report_html(builder.staging))
    builder.write_text("README.md", dataset_card(builder.staging, manifest))
    builder.write_json("croissant.json", croissant(builder.staging, manifest))
    manifest["metadata_files"] = [{"path": name, "bytes": (builder.staging / name).stat().st_size,
                                   "sha256": sha256_file(builder.staging / name)} for name in METADATA_FILES]
    builder.write_json("manifest.json", manifest)
