"""Command line: `newsclean run` (or `python -m newsclean run`), and `validate`."""
from __future__ import annotations

import argparse
import errno
import gc
import logging
import os
import signal
import sys
import threading
from pathlib import Path

from .cli_help import (EXAMPLES, INSPECT_EXAMPLES, REPORT_EXAMPLES, RUN_EXAMPLES, VALIDATE_EXAMPLES,
                       HelpFormatter, verbosity_options)
from .engines.staging import StageWriteError
from .options import Options, load_options
from .publish.release import ReleaseFailed
from .publish.storage import resolve, scrubbed, shown
from .publish.target import OutputLocked, OutputRefused
from .publish.validate import validate_release

USAGE_ERROR = 2
INTERRUPTED = 128 + signal.SIGINT  # the shell's code for a command stopped by Ctrl-C
TERMINATED = 128 + signal.SIGTERM
NO_SPACE = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
NO_WRITE = {errno.EROFS: "the filesystem is read-only", errno.EACCES: "permission denied",
            errno.EPERM: "operation not permitted"}


class _StderrHandler(logging.StreamHandler):
    """A log handler writing to whatever sys.stderr is when a record comes (the live progress
    display wraps stderr while it runs, so log lines print above it)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


class Terminated(BaseException):
    """SIGTERM, raised in the main thread so the run unwinds (removing its staging folder) like
    Ctrl-C does, instead of dying where it stands."""


def _parser() -> argparse.ArgumentParser:
    from .version import __version__

    parser = argparse.ArgumentParser(prog="newsclean", description="Clean scraped news articles "
                                     "into a validated, documented Parquet corpus.",
                                     epilog=EXAMPLES, formatter_class=HelpFormatter, parents=[verbosity_options(0)])
    parser.add_argument("--version", action="version", version=f"newsclean {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = {"formatter_class": HelpFormatter, "parents": [verbosity_options(argparse.SUPPRESS)]}

    run = commands.add_parser("run", help="clean inputs and publish the corpus", epilog=RUN_EXAMPLES,
                              description="Read INPUTs, clean every document, publish the corpus at\n"
                              "--out (replaced atomically), print a summary.", **common)
    run.add_argument("inputs", nargs="*", default=["seeds"], metavar="INPUT",
                     help="files, folders or object-store URIs (s3://bucket/prefix/) to read: .txt, "
                          ".html/.htm(.gz), .warc(.gz), .jsonl(.gz/.zst), .parquet")
    run.add_argument("--out", default="dist", metavar="DIR", help="published folder")
    run.add_argument("--config", metavar="TOML", help="options file overlaying the defaults key by key")
    run.add_argument("--workers", type=int, metavar="N", help="worker processes (default 1)")
    run.add_argument("--disable", action="append", default=[], metavar="RULE",
                     help="switch off a rule or rule family (repeatable)")
    run.add_argument("--pattern", action="append", default=[], metavar="FAMILY=REGEX",
                     help="remove lines fully matching REGEX, recorded under FAMILY (repeatable)")
    run.add_argument("--shard-rows", type=int, metavar="N", help=f"most rows per Parquet shard (default {Options().publish.shard_rows})")
    run.add_argument("--engine", choices=("local", "ray"), default="local",
                     help="where the per-document steps run: this machine (default) or a Ray cluster "
                          "(pip install 'newsclean[ray]'); the release is the same bytes")
    run.add_argument("--address", metavar="ADDR", help="with --engine ray: the cluster to join, from "
                     "one of its nodes ('auto', 'HOST:6379'); default: a local Ray")
    run.add_argument("--unit-mb", type=float, metavar="MB", help="with --engine ray: input MB per work "
                     "unit, read by the actor that cleans it (default 8.4: 8 MiB)")
    run.add_argument("--stage", metavar="URI", help="with --engine ray: folder or object-store URI "
                     "(s3://bucket/stage) the work units' results are kept in until published, so a "
                     "killed run resumes; default: beside --out (in its store when it is a URI)")
    run.add_argument("--force", action="store_true",
                     help="replace --out even when it is a folder that is not a newsclean release, "
                          "or a release holding files its manifest does not list (they are deleted)")
    run.add_argument("--keep-duplicates", action="store_true",
                     help="publish every near-duplicate copy instead of folding it into its cluster's "
                          "canonical article (exact copies are always folded)")

    validate = commands.add_parser("validate", help="check a published folder (exit 0 valid, 1 invalid)",
                                   description="Check every file of a release against its manifest and the "
                                   "schemas; exit 0 valid, 1 invalid (every violation listed), 2 unreadable.",
                                   epilog=VALIDATE_EXAMPLES, **common)
    validate.add_argument("directory", nargs="?", default="dist", metavar="DIR",
                          help="a local folder or a URI pyarrow reads (file://, s3://, gs://)")
    validate.add_argument("--format", choices=("text", "json"), default="text")

    inspect = commands.add_parser("inspect", help="show one document: its lines, what was removed and why",
                                  description="One document of a release: a published one's lines in input "
                                  "order,\nremoved ones struck through with their rule and family, then its "
                                  "metadata;\na rejected one's reason, failed checks and input; a folded "
                                  "copy's article.", epilog=INSPECT_EXAMPLES, **common)
    inspect.add_argument("directory", metavar="DIR", help="a release folder")
    inspect.add_argument("doc_id", metavar="ID", help="the document's id (as in data/, rejects/ or duplicates/)")

    rules = commands.add_parser("rules", help="list every rule and family --disable takes",
                                description="Every rule, grouped by family, in the order an article meets "
                                "them,\nwith where it applies and an example line.", **common)
    rules.add_argument("--format", choices=("text", "json"), default="text")

    report = commands.add_parser("report", help="write one HTML page with plots about a release",
                                 description="One self-contained HTML page about a release (plots as inline "
                                 "SVG, no script,\nnothing fetched when viewed): removals by family and rule, "
                                 "text length\nbefore and after, `published` over time, sources, languages, "
                                 "reject reasons,\nduplicate clusters, and a sample of documents with their "
                                 "removals.\nEvery release already holds one: DIR/report.html.",
                                 epilog=REPORT_EXAMPLES, **common)
    report.add_argument("directory", metavar="DIR", help="a release folder")
    report.add_argument("--out", default="report.html", metavar="FILE", help="the page to write")
    return parser


def _options(args: argparse.Namespace) -> Options:
    import dataclasses

    options = load_options(args.config)
    rules = options.rules
    extra = list(rules.extra)
    for number, spec in enumerate(args.pattern, start=1):
        family, sep, pattern = spec.partition("=")
        if not sep or not family or not pattern:
            raise ValueError(f"--pattern wants FAMILY=REGEX, got {spec!r}")
        extra.append({"name": f"cli_pattern_{number}", "family": family, "pattern": pattern,
                      "where": "any", "max_words": 60})
    rules = dataclasses.replace(rules, disabled=tuple(rules.disabled) + tuple(args.disable),
                                extra=tuple(extra))
    for flag, value in (("--workers", args.workers), ("--shard-rows", args.shard_rows)):
        if value is not None and value < 1:
            raise ValueError(f"{flag} must be 1 or more, not {value}")
    publish = options.publish
    if args.shard_rows is not None:
        publish = dataclasses.replace(publish, shard_rows=args.shard_rows)
    changes = {"rules": rules, "publish": publish}
    if args.keep_duplicates:
        dedup = dataclasses.replace(options.corpus.dedup, keep_duplicates=True)
        changes["corpus"] = dataclasses.replace(options.corpus, dedup=dedup)
    if args.workers is not None:
        changes["workers"] = args.workers
    return dataclasses.replace(options, **changes)


def _run(args: argparse.Namespace) -> int:
    from .run import check_options, run

    try:
        options = _options(args)
        check_options(options)
        from .cleaning.rules import build_ruleset
        build_ruleset(options.rules)  # a bad user pattern fails here, before any work
        from .engines import engine_named
        unit_bytes = None if args.unit_mb is None else int(args.unit_mb * 1e6)
        engine = engine_named(args.engine, args.address, args.workers, unit_bytes, args.stage)
    except (ValueError, OSError) as exc:
        return _error(f"bad options: {exc}", USAGE_ERROR)
    from .engines.ray_actors import ClusterUnfit
    from .progress import progress_for

    try:
        summary = run(args.inputs, args.out, options, force=args.force, engine=engine,
                      observer=progress_for(args.inputs, args.quiet))
    except (FileNotFoundError, OutputRefused) as exc:
        if isinstance(exc, FileNotFoundError) and not str(exc).startswith("input not found"):
            return _error(_os_error(exc, args.out), 1)
        return _error(str(exc), USAGE_ERROR)
    except (OutputLocked, ReleaseFailed, ClusterUnfit) as exc:
        return _error(str(exc), 1)
    except StageWriteError as exc:
        return _error(f"{exc}; the previous release, if any, is unchanged, and a rerun resumes from the units "
                      "staged so far", 1)
    except OSError as exc:
        return _error(_os_error(exc, args.out), 1)
    from rich.console import Console

    from .publish.remote import is_remote

    if is_remote(args.out):  # the summary table reads the release's tables from a local folder
        print(summary.to_text())
        return 0
    from .summary import log_rejections, render

    log_rejections(Path(args.out))
    if not args.quiet:
        print(summary.to_text().splitlines()[0], flush=True)
        render(summary, options.workers, Console(highlight=False))
    return 0


def _error(message: str, code: int) -> int:
    print(f"newsclean: {message}", file=sys.stderr)
    return code


def _os_error(exc: OSError, out: str) -> str:
    """One line for a failure of the filesystem the release is written to: what, where, what to do."""
    where = Path(out).absolute().parent
    unchanged = "the previous release, if any, is unchanged"
    if exc.errno in NO_SPACE:
        return (f"no space left on the device holding {where} while writing the release; free some "
                f"space or choose another --out ({unchanged})")
    if exc.errno in NO_WRITE:
        place = exc.filename or where
        verb = "write to" if exc.errno == errno.EROFS else "access"
        return f"cannot {verb} {place}: {NO_WRITE[exc.errno]}; choose a writable --out ({unchanged})"
    detail = exc.strerror or str(exc)
    place = f" ({exc.filename})" if exc.filename else ""
    return f"{detail}{place} while writing the release to {out}; {unchanged}"


def _validate(args: argparse.Namespace) -> int:
    location = args.directory
    problem = _unreadable(location)
    if problem:
        print(f"newsclean: {problem}", file=sys.stderr)
        return USAGE_ERROR
    report = validate_release(location)
    print(report.to_json() if args.format == "json" else report.to_text())
    return 0 if report.ok else 1


def _inspect(args: argparse.Namespace) -> int:
    from rich.console import Console

    from .inspect import NotFound, render

    release = Path(args.directory)
    if not (release / "manifest.json").is_file():
        return _error(f"{args.directory} is not a newsclean release (no manifest.json)", USAGE_ERROR)
    try:
        render(release, args.doc_id, Console(highlight=False))
    except NotFound as exc:
        return _error(str(exc), 1)
    return 0


def _report(args: argparse.Namespace) -> int:
    from .report import write_report

    release = Path(args.directory)
    if not (release / "manifest.json").is_file():
        return _error(f"{args.directory} is not a newsclean release (no manifest.json)", USAGE_ERROR)
    try:
        write_report(release, Path(args.out))
    except OSError as exc:
        return _error(f"cannot write {args.out}: {exc.strerror or exc}", 1)
    if not args.quiet:
        print(f"wrote {args.out}")
    return 0


def _rules(args: argparse.Namespace) -> int:
    from .rules_list import rule_rows, rules_json, rules_text

    rows = rule_rows()
    print(rules_json(rows) if args.format == "json" else rules_text(rows))
    return 0


def _unreadable(location: str) -> str | None:
    """Why the location cannot be validated (exit 2, not 1: nothing was checked), or None."""
    import pyarrow.fs as pafs

    try:
        filesystem, root = resolve(location)
        kind = filesystem.get_file_info(root).type
    except Exception as exc:  # unknown scheme, missing driver, unreachable or denied storage
        return f"cannot read {shown(location)}: {scrubbed(str(exc), location)}"
    if kind != pafs.FileType.Directory:
        return f"{shown(location)} is not a folder"
    return None


def entry() -> None:
    """`newsclean` and `python -m newsclean`: `main()`, then exit.

    Freezing the collector first spares the interpreter's last collections over every object
    the libraries made (0.3 s after a run: a 2-worker run of the benchmark corpus takes ~14 s);
    the exit itself is the usual one (exit handlers run, stdout and stderr flushed), and the
    process's memory goes back to the system in any case."""
    code = main()
    gc.freeze()
    sys.exit(code)


def main(argv: list[str] | None = None) -> int:
    """Parse and dispatch; whatever stops the command (Ctrl-C, SIGTERM, a closed stdout) ends it
    with one `newsclean:` line and a non-zero code, not a traceback."""
    args = _parser().parse_args(argv)
    _log_to_stderr(args)
    on_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if on_main else None
    try:
        return COMMANDS[args.command](args)
    except (KeyboardInterrupt, Terminated) as exc:
        what, code = ("interrupted", INTERRUPTED) if isinstance(exc, KeyboardInterrupt) else ("terminated", TERMINATED)
        if args.command != "run":
            return _error(what, code)
        if getattr(exc, "published", False):
            return _error(f"{what} just after the new release was published at {args.out}", code)
        return _error(f"{what}; nothing was published at {args.out} (the previous release, if any, "
                      "is unchanged)", code)
    except BrokenPipeError:
        _silence_stdout()
        return _error("stdout was closed before the output was written (the command's work itself "
                      "was done); do not close the pipe early", 1)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


COMMANDS = {"run": _run, "validate": _validate, "inspect": _inspect, "rules": _rules, "report": _report}


def _log_to_stderr(args: argparse.Namespace) -> None:
    """newsclean's loggers at INFO with -v (DEBUG with -vv), ERROR with -q, else WARNING; other
    libraries' at WARNING. The handler writes to whatever sys.stderr is when a record comes, so
    that the live progress line (which wraps stderr) stays below the log lines."""
    level = (logging.ERROR if args.quiet else logging.DEBUG if args.verbose > 1
             else logging.INFO if args.verbose else logging.WARNING)
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler], force=True)
    logging.getLogger("newsclean").setLevel(level)


def _terminate(signum, frame) -> None:
    raise Terminated()


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush at exit has nowhere to fail."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
