"""The table `newsclean run` prints when it is done: what came in, what was published, what was
rejected (reason and failed check) or folded, which lines went (by family, the headline moved into
`title` apart from chrome), the speed, and where the release is with the commands to look inside."""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow.parquet as pq

from .run import RunSummary

log = logging.getLogger(__name__)

MB = 1_000_000
HEADLINE_FAMILY = "title"  # the headline line: moved into the `title` column, not chrome


@dataclass
class ReleaseTallies:
    """Counts read back from a published release's audit tables."""

    rejected: Counter = field(default_factory=Counter)  # (reason, failed check or "") -> documents
    removed_by_family: Counter = field(default_factory=Counter)

    @classmethod
    def read(cls, release: Path) -> "ReleaseTallies":
        tallies = cls()
        rejects = pq.read_table(release / "rejects", columns=["reason", "checks"]).to_pylist()
        for row in rejects:
            for check in row["checks"] or [""]:
                tallies.rejected[(row["reason"], check)] += 1
        families = pq.read_table(release / "removals", columns=["family"]).column("family")
        tallies.removed_by_family.update(families.to_pylist())
        return tallies


def summary_rows(summary: RunSummary, tallies: ReleaseTallies, workers: int) -> list[tuple[str, str]]:
    """(what, how many) rows of the final table, in reading order."""
    corpus = summary.corpus.counts()
    rows = [("documents in", f"{summary.read:,}"), ("published", f"{summary.published:,}"),
            ("rejected", f"{summary.rejected:,}")]
    for (reason, check), count in sorted(tallies.rejected.items(), key=lambda item: (-item[1], item[0])):
        rows.append((f"  {reason}" + (f" (failed check {check})" if check else ""), f"{count:,}"))
    rows.append(("folded as duplicates", f"{corpus['duplicates_folded']:,}"))
    if corpus["duplicates_folded"]:
        rows.append((f"  into {corpus['duplicate_clusters']:,} clusters (exact / near copies)",
                     f"{corpus['duplicates_exact']:,} / {corpus['duplicates_near']:,}"))
    chrome = {k: v for k, v in tallies.removed_by_family.items() if k != HEADLINE_FAMILY}
    rows.append(("lines removed as chrome", f"{sum(chrome.values()):,}"))
    for family, count in sorted(chrome.items(), key=lambda item: (-item[1], item[0])):
        rows.append((f"  {family}", f"{count:,}"))
    rows.append(("headlines moved into title", f"{tallies.removed_by_family.get(HEADLINE_FAMILY, 0):,}"))
    if summary.skipped_files:
        rows.append(("skipped files (no reader)", ", ".join(f"{k} {v}" for k, v in summary.skipped_files.items())))
    seconds = max(summary.seconds, 1e-9)
    rows.append(("input", f"{summary.input_bytes / MB:,.1f} MB in {summary.seconds:,.1f} s"))
    rows.append((f"MB/s per core ({workers} worker{'s' if workers != 1 else ''})",
                 f"{summary.input_bytes / MB / seconds / workers:.2f}"))
    return rows


def commands_to_look_inside(release: str) -> list[str]:
    return [f"newsclean report {release}        # one HTML page with plots",
            f"newsclean inspect {release} ID    # one document: lines removed, metadata, or why rejected",
            f"newsclean validate {release}      # check every file against the schemas"]


def render(summary: RunSummary, workers: int, console) -> None:
    """Print the table and the release's place and commands on `console` (a rich Console)."""
    from rich import box
    from rich.table import Table

    release = Path(summary.out)
    rows = summary_rows(summary, ReleaseTallies.read(release), workers)
    if not console.is_terminal:  # a file or a pipe: as wide as the rows (a failed check's name is long)
        needed = 12 + max(len(what) for what, _ in rows) + max(len(count) for _, count in rows)
        console.width = max(console.width, needed)
    table = Table(box=box.SIMPLE_HEAD, show_header=True)
    table.add_column("documents and lines", overflow="fold")
    table.add_column("count", justify="right", no_wrap=True)
    for what, count in rows:
        table.add_row(what, count)
    console.print(table)
    console.print(f"release: {release.resolve()}", soft_wrap=True)
    console.print("look inside:")
    for command in commands_to_look_inside(summary.out):
        console.print(f"  {command}", markup=False, soft_wrap=True)


def log_rejections(release: Path) -> None:
    """One INFO line per rejected input (shown with -v): id, where it was read, reason, check."""
    if not log.isEnabledFor(logging.INFO):
        return
    for row in pq.read_table(release / "rejects", columns=["id", "provenance", "reason", "checks", "detail"]).to_pylist():
        checks = f" (failed {', '.join(row['checks'])})" if row["checks"] else ""
        log.info("rejected %s from %s: %s%s: %s", row["id"], row["provenance"], row["reason"], checks, row["detail"])
