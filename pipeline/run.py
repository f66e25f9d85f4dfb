"""A corpus run: read (or plan units that the workers read) -> document steps (in a process pool,
or Ray actors) -> validate -> corpus stage (site templates, duplicates) -> publish, atomically."""
from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import shutil
import time
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from itertools import islice
from pathlib import Path
from typing import Iterable, Iterator

from .batch import BatchResult, process_batch, process_unit
from .corpus import CorpusReport
from .document import Document
from .engines import Engine, LocalEngine
from .engines.staging import UnitStage, stage_for, staged_results
from .engines.unit_runs import StagedUnit, staged_runs
from .executor import collector_for_run
from .fingerprint import InputFingerprint
from .options import Options
from .progress import RunObserver
from .publish.metadata import write_release_metadata
from .publish.release import ReleaseBuilder, ReleaseFailed
from .publish.remote import build_folder, check_remote_output, is_remote, upload_release
from .publish.storage import shown
from .publish.target import OutputLock, OutputLocked, OutputRefused, check_output
from .readers import read_documents
from .readers.plan import count_here, plan_units
from .readers.remote import RemoteInput, input_path

log = logging.getLogger(__name__)


@dataclass
class RunSummary:
    out: str
    read: int = 0
    published: int = 0
    rejected: int = 0
    removed_lines: int = 0
    skipped_files: dict[str, int] = field(default_factory=dict)
    rejected_by_reason: dict[str, int] = field(default_factory=dict)
    removed_by_rule: dict[str, int] = field(default_factory=dict)
    input_bytes: int = 0
    inputs: list[str] = field(default_factory=list)  # the input paths as given, sorted (the card's command)
    seconds: float = 0.0
    corpus: CorpusReport = field(default_factory=CorpusReport)

    def to_text(self) -> str:
        lines = [f"published {self.published} of {self.read} documents to {self.out} "
                 f"({self.rejected} rejected, {self.removed_lines} boilerplate lines removed, "
                 f"{self.seconds:.1f} s)"]
        if self.rejected_by_reason:
            lines.append("  rejected: " + ", ".join(f"{k} {v}" for k, v in sorted(self.rejected_by_reason.items())))
        corpus = self.corpus.counts()
        lines.append(f"  corpus stage: {corpus['template_lines']} template lines removed from "
                     f"{len(corpus['template_lines_by_source'])} sources, {corpus['duplicates_folded']} "
                     f"copies folded into {corpus['duplicate_clusters']} clusters "
                     f"({corpus['duplicates_exact']} exact, {corpus['duplicates_near']} near)")
        if self.skipped_files:
            lines.append("  skipped files (no reader): " + ", ".join(
                f"{k} {v}" for k, v in sorted(self.skipped_files.items())))
        return "\n".join(lines)


def _batches(docs: Iterable[Document], size: int) -> Iterator[list[Document]]:
    iterator = iter(docs)
    while batch := list(islice(iterator, size)):
        yield batch


M_MMAP_THRESHOLD = -3  # mallopt parameter (glibc malloc.h)
MMAP_THRESHOLD_BYTES = 1 << 20


def _return_freed_memory() -> None:
    """Have glibc give large freed blocks back to the system.

    glibc raises its mmap threshold each time a large mmap'ed block is freed (up to 32 MiB), after
    which blocks of a batch's size come from the heap and stay there once freed: the process keeps
    its peak. A fixed threshold keeps blocks of 1 MiB and more mmap'ed, returned when freed; the
    workers inherit it. No effect, and no error, off glibc."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
    except (OSError, AttributeError):
        pass


def check_options(options: Options) -> None:
    """Raise ValueError for options that would be taken silently but are wrong: no workers, and a
    name in `[rules] disabled` that names no rule or family (a typo would switch nothing off)."""
    import difflib

    from .cleaning.rules import known_rule_names

    for name, value in (("workers", options.workers), ("publish.shard_rows", options.publish.shard_rows)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a whole number from 1 up, not {value!r}")
    known = set(known_rule_names())
    known |= {str(extra.get("name")) for extra in options.rules.extra}
    known |= {str(extra.get("family")) for extra in options.rules.extra}
    for name in options.rules.disabled:
        if name not in known:
            close = difflib.get_close_matches(str(name), sorted(known), n=1)
            hint = f"did you mean {close[0]!r}?" if close else "no rule or family has a name close to it"
            raise ValueError(f"unknown rule or family {name!r} in --disable or [rules] disabled; {hint}")


def run(inputs: Iterable[str | Path] = ("seeds",), out: str | Path = "dist",
        options: Options = Options(), force: bool = False, engine: Engine = LocalEngine(),
        observer: RunObserver = RunObserver()) -> RunSummary:
    """Clean every input document and publish the corpus at `out`, replacing it atomically.

    `inputs`: files, folders, or object-store URIs of an object or a prefix (`readers.remote`).
    `out` must be absent, empty or a previous release (`publish.target.check_output`; `force`
    replaces any folder), and outside every input; a URI (s3://, gs://) publishes to that object
    store, the manifest written last (`publish.remote`). Returns the summary; raises
    FileNotFoundError for a missing input, ValueError for wrong options, OutputRefused for such
    an `out` (or an engine's unit stage inside it or an input, `engines.staging`), OutputLocked
    while another run writes to it, and ReleaseFailed when the new release cannot be completed
    (the previous one at `out` is then untouched). `engine`: where the per-document steps run
    (`engines.LocalEngine`, `engines.RayEngine`); the release is the same bytes with either; an
    engine's staged units are removed only once the release is published (uploaded, for a URI),
    and a failure to remove them is a warning. `observer` is told the stage and counts as the
    run goes (the CLI's progress line).
    """
    started = time.perf_counter()
    check_options(options)
    paths = [input_path(p) for p in inputs]  # local paths, or object-store URIs (readers.remote)
    for path in paths:
        if not path.exists():
            raise FileNotFoundError(f"input not found: {path}")
    given = out
    remote = os.fspath(out) if is_remote(out) else None
    if remote is not None:  # built in a local folder of its own, then uploaded (publish.remote)
        check_remote_output(remote, force)
        out, force = build_folder(remote), True
    out = Path(out)
    check_output(out, paths, force)  # before anything is made: a refused run leaves no trace
    stage = None  # the units' results, kept until published (engines.staging): Ray's planned units
    if engine.unit_bytes is not None and engine.stages_units:
        stage = stage_for(given, out, paths, options, engine.unit_bytes, engine.stage)
    _return_freed_memory()
    out.parent.mkdir(parents=True, exist_ok=True)
    with OutputLock(out), collector_for_run(options.workers):
        check_output(out, paths, force)  # again, now that no other run can change it
        try:
            with engine.session():  # e.g. Ray, up for the actors and the corpus stage's tasks
                summary = _publish(paths, out, options, engine, observer, stage)
        finally:
            observer.close()
        if remote is not None:
            upload_release(out, remote)
            summary.out = shown(remote)
            _remove_published(f"the local folder it was built in ({out})", shutil.rmtree, out)
        if stage is not None:  # published where it goes: a later run has nothing to resume
            _remove_stage(stage)
    summary.seconds = time.perf_counter() - started
    log.info(summary.to_text())
    log.info("corpus stage time / peak memory (this process): %s", ", ".join(
        f"{step} {t['seconds']:.1f} s / {t['peak_rss_mb']:.0f} MB" for step, t in summary.corpus.timings.items()))
    return summary


def _cleaned(paths: list[Path | RemoteInput], options: Options, engine: Engine, observer: RunObserver,
             skipped: Counter, fingerprint: InputFingerprint,
             stage: UnitStage | None) -> Iterator[BatchResult | StagedUnit]:
    """Every batch's results, in a fixed order: the documents read here and sent to the workers
    in batches (`engine.unit_bytes` None, the local engine), or units planned here and read by
    the workers themselves (`readers.plan`; the Ray engine), staged when `stage` is given: on an
    object store, by the workers, as sorted runs of which only a receipt comes here (`StagedUnit`)."""
    if engine.unit_bytes is None:
        docs = fingerprint.watch(read_documents(paths, skipped, options.input, decode=False, limits=options.limits))
        batches = _batches(observer.watch(docs), options.batch_docs)
        yield from engine.map_ordered(partial(process_batch, options=options), batches, options.workers)
        return
    units = plan_units(paths, skipped, options.input, engine.unit_bytes, engine.chunk_counter() or count_here)
    log.info("planned %d units of up to %s input bytes", len(units), f"{engine.unit_bytes:,}")
    counts = engine.line_counter(stage) is None  # the engine's tasks count them from the stage otherwise
    make = partial(process_unit, options=options)
    if stage is not None and not stage.local:
        for staged in staged_runs(engine, make, units, options.workers, stage, options.corpus, counts):
            fingerprint.add(staged.receipt.read)
            observer.documents_read(staged.receipt.read.documents, staged.receipt.read.bytes)
            yield staged
        return
    for result in staged_results(engine, make, units, options.workers, stage, counts):
        fingerprint.add(result.read)
        observer.documents_read(result.read.documents, result.read.bytes)
        yield result.batch


def _remove_stage(stage: UnitStage) -> None:
    """The staged units removed, at best (`_remove_published`)."""
    _remove_published(f"its staged units in {stage.shown()}", stage.remove_all)


def _remove_published(what: object, remove, *args) -> None:
    """What a published run leaves behind (its staged units, the local folder an object-store
    release was built in) removed, at best: the release is out, so a refusal (access denied, a
    lost connection, a file held open) is a warning, not a failed run; an interruption meanwhile
    is marked `published` (the CLI then says the release was published)."""
    try:
        remove(*args)
    except (OSError, ValueError) as exc:  # ValueError: a stage not named as one (never `stage_for`'s)
        log.warning("the release is published, but %s could not be removed (%s); delete it by hand: "
                    "no run resumes from it", what, exc)
    except BaseException as exc:
        exc.published = True
        raise


def _publish(paths: list[Path | RemoteInput], out: Path, options: Options, engine: Engine,
             observer: RunObserver, stage: UnitStage | None) -> RunSummary:
    """The run itself: the documents through the steps, then the corpus stage and the release.

    Whatever stops it (an error, Ctrl-C, SIGTERM through the CLI's handler) removes its staging
    folder; an exception that escapes after the swap is marked `published` (the CLI says so)."""
    skipped: Counter = Counter()
    fingerprint = InputFingerprint()
    builder = ReleaseBuilder(out, options.publish, options.corpus, options.workers, engine.line_counter(stage),
                             engine.copy_linker(), engine.shard_tasks(), engine.range_tasks(), engine.fold_tasks(),
                             engine.check_tasks())
    try:
        for result in _cleaned(paths, options, engine, observer, skipped, fingerprint, stage):
            if isinstance(result, StagedUnit):  # its rows are read by the builder's first merge round
                builder.add_runs(result.runs, result.filesystem, result.line_counts)
                observer.batch(result.receipt.rows_of("data"), result.receipt.rows_of("rejects"))
                continue
            builder.add(result.data, result.removals, result.rejects, result.line_counts)
            observer.batch(result.data.num_rows, result.rejects.num_rows)
        observer.stage("corpus stage and writing")
        files = builder.write_tables()
        summary = RunSummary(
            out=str(out), read=fingerprint.documents, published=builder.counts["published"],
            rejected=builder.counts["rejected"], removed_lines=builder.counts["removed_lines"],
            skipped_files=dict(sorted(skipped.items())),
            rejected_by_reason=dict(sorted(builder.rejected_by_reason.items())),
            removed_by_rule=dict(sorted(builder.removed_by_rule.items())),
            input_bytes=fingerprint.bytes, corpus=builder.corpus.report,
            inputs=sorted(path.as_posix() for path in paths))
        observer.stage("writing the card")
        write_release_metadata(builder, files, summary, options, fingerprint.hexdigest())
        observer.stage("checking the release")
        builder.publish()
    except BaseException as exc:
        builder.abandon()
        if builder.published:
            exc.published = True
        raise
    return summary


__all__ = ["run", "Engine", "LocalEngine", "check_options", "RunSummary", "ReleaseFailed", "OutputLocked", "OutputRefused"]
