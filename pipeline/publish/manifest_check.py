"""The checks of a release against its manifest.json: every file it lists is there with its bytes,
checksum and rows; nothing else is there, in any folder, hidden files included (pandas and
`load_corpus` would read a stray shard as part of the corpus); its totals and counts add up; the
dataset card and croissant.json match the checksums the manifest holds for them."""
from __future__ import annotations

import json
from collections import Counter
from typing import TYPE_CHECKING

import pyarrow as pa_arrow
import pyarrow.fs as pafs

from .storage import Release, sha256_file

if TYPE_CHECKING:
    from .validate import Report

MANIFEST = "manifest.json"
METADATA_FILES = ("README.md", "croissant.json", "report.html")  # checksummed in the manifest's `metadata_files`
# count in `counts` -> (the table whose rows it counts, the per-reason breakdown that sums to it)
COUNTED = {"published": ("data", None), "rejected": ("rejects", "rejected_by_reason"),
           "removed_lines": ("removals", "removed_by_rule")}


def check_manifest(release: Release, report: "Report") -> tuple[str, ...]:
    """Check the release against its manifest; returns the rule families its run switched off."""
    if release.info(MANIFEST).type != pafs.FileType.File:
        report.add(MANIFEST, "missing")
        return ()
    try:
        manifest = json.loads(release.read_text(MANIFEST))
        files = manifest["files"]
        relaxed = tuple(manifest.get("relaxed_families", ()))
        described = manifest.get("metadata_files", [])
        listed = {entry.get("path", "?") for entry in [*files, *described]}
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        report.add(MANIFEST, f"not a valid manifest: {exc}")
        return ()
    for entry in [*files, *described]:
        _check_entry(release, entry, report)
    for name in METADATA_FILES:
        if name not in {entry.get("path") for entry in described}:
            report.add(name, "manifest.json holds no checksum for it (metadata_files): rebuild the release")
    for name in _unlisted(release, listed | {MANIFEST, *METADATA_FILES}):  # those: reported above
        report.add(name, "not listed in manifest.json: remove it (a reader of the folder would take it "
                         "as part of the release)")
    _check_sums(manifest, files, report)
    return relaxed


def _check_entry(release: Release, entry: dict, report: "Report") -> None:
    name = entry.get("path", "?")
    info = release.info(name)
    if info.type != pafs.FileType.File:
        report.add(name, "listed in manifest.json but missing")
        return
    if info.size != entry.get("bytes"):
        report.add(name, f"size {info.size} differs from manifest ({entry.get('bytes')})")
    if sha256_file(release.path(name), release.fs) != entry.get("sha256"):
        report.add(name, "sha256 differs from manifest.json: the file was changed")
    if "rows" in entry and name.endswith(".parquet"):
        try:
            rows = release.num_rows(name)
        except (OSError, pa_arrow.ArrowInvalid):
            return
        if rows != entry["rows"]:
            report.add(name, f"{rows} rows, manifest.json says {entry['rows']}")


def _unlisted(release: Release, listed: set[str]) -> list[str]:
    """Every file or folder under the release that is neither listed nor a folder of a listed file."""
    folders = {"/".join(name.split("/")[:i]) for name in listed for i in range(1, name.count("/") + 1)}
    selector = pafs.FileSelector(release.root, recursive=True, allow_not_found=True)
    found = []
    for info in release.fs.get_file_info(selector):
        name = info.path[len(release.root):].lstrip("/")
        if info.type == pafs.FileType.Directory:
            if name not in folders:
                found.append(name + "/")
        elif name not in listed:
            found.append(name)
    return sorted(found)


def _check_sums(manifest: dict, files: list[dict], report: "Report") -> None:
    """`totals` are the sums of the file entries; `counts` agree with the tables' rows."""
    sums: dict[str, Counter] = {}
    for entry in files:
        total = sums.setdefault(entry.get("table"), Counter())
        total.update(files=1, rows=entry.get("rows", 0), bytes=entry.get("bytes", 0))
    totals = manifest.get("totals")
    if not isinstance(totals, dict):
        report.add(MANIFEST, "totals: missing")
        totals = {}
    for table in sorted(set(sums) | set(totals), key=str):
        want = {key: sums.get(table, Counter())[key] for key in ("files", "rows", "bytes")}
        if totals.get(table) != want:
            report.add(MANIFEST, f"totals.{table} is {totals.get(table)}, the files listed add up to {want}")
    counts = manifest.get("counts")
    if not isinstance(counts, dict):
        report.add(MANIFEST, "counts: missing")
        return
    for count, (table, breakdown) in COUNTED.items():
        rows = sums.get(table, Counter())["rows"]
        if counts.get(count) != rows:
            report.add(MANIFEST, f"counts.{count} is {counts.get(count)}, the {table} files hold {rows} rows")
        parts = counts.get(breakdown) if breakdown else None
        if breakdown and (not isinstance(parts, dict) or _total(parts.values()) != counts.get(count)):
            report.add(MANIFEST, f"counts.{breakdown} does not add up to counts.{count}")


def _total(values) -> int | None:
    return sum(values) if all(isinstance(v, int) for v in values) else None


def manifest_sha256(release: Release) -> dict[str, str]:
    """The manifest's checksum of each table file it lists (nothing when it cannot be read: then
    `check_manifest` reports why)."""
    try:
        return {entry["path"]: entry["sha256"] for entry in json.loads(release.read_text(MANIFEST))["files"]}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}
