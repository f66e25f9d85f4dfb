"""Command line: `newsclean run` / `python -m pipeline run`, and `validate`."""
from __future__ import annotations

import argparse
import gc
import logging
import sys
from pathlib import Path

from .options import Options, load_options
from .publish.release import ReleaseFailed
from .publish.storage import resolve, scrubbed, shown
from .publish.validate import validate_release

USAGE_ERROR = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="newsclean", description="Clean scraped news articles "
                                     "into a validated, documented Parquet corpus.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every skipped file and rejection")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="clean inputs and publish the corpus")
    run.add_argument("inputs", nargs="*", default=["seeds"], metavar="INPUT",
                     help="files or folders to read (default: seeds/)")
    run.add_argument("--out", default="dist", metavar="DIR", help="published folder (default: dist/)")
    run.add_argument("--config", metavar="TOML", help="options file overlaying the defaults")
    run.add_argument("--workers", type=int, metavar="N", help="worker processes (default 1)")
    run.add_argument("--disable", action="append", default=[], metavar="RULE",
                     help="switch off a rule or rule family (repeatable)")
    run.add_argument("--pattern", action="append", default=[], metavar="FAMILY=REGEX",
                     help="remove lines fully matching REGEX, recorded under FAMILY (repeatable)")
    run.add_argument("--shard-rows", type=int, metavar="N", help="most rows per Parquet shard")
    run.add_argument("--keep-duplicates", action="store_true",
                     help="publish every near-duplicate copy instead of folding it into its cluster's "
                          "canonical article (exact copies are always folded)")

    validate = commands.add_parser("validate", help="check a published folder (exit 0 valid, 1 invalid)")
    validate.add_argument("directory", nargs="?", default="dist", metavar="DIR",
                          help="a local folder or a URI pyarrow reads (file://, s3://, gs://); default: dist")
    validate.add_argument("--format", choices=("text", "json"), default="text")
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
    publish = options.publish
    if args.shard_rows:
        publish = dataclasses.replace(publish, shard_rows=args.shard_rows)
    changes = {"rules": rules, "publish": publish}
    if args.keep_duplicates:
        dedup = dataclasses.replace(options.corpus.dedup, keep_duplicates=True)
        changes["corpus"] = dataclasses.replace(options.corpus, dedup=dedup)
    if args.workers:
        changes["workers"] = args.workers
    return dataclasses.replace(options, **changes)


def _run(args: argparse.Namespace) -> int:
    from .run import run

    try:
        options = _options(args)
        from .cleaning.rules import build_ruleset
        build_ruleset(options.rules)  # a bad user pattern fails here, before any work
    except (ValueError, OSError) as exc:
        print(f"newsclean: bad options: {exc}", file=sys.stderr)
        return USAGE_ERROR
    try:
        summary = run(args.inputs, args.out, options)
    except FileNotFoundError as exc:
        print(f"newsclean: {exc}", file=sys.stderr)
        return USAGE_ERROR
    except ReleaseFailed as exc:
        print(f"newsclean: {exc}", file=sys.stderr)
        return 1
    print(summary.to_text())
    return 0


def _validate(args: argparse.Namespace) -> int:
    location = args.directory
    problem = _unreadable(location)
    if problem:
        print(f"newsclean: {problem}", file=sys.stderr)
        return USAGE_ERROR
    report = validate_release(location)
    print(report.to_json() if args.format == "json" else report.to_text())
    return 0 if report.ok else 1


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
    """`newsclean` and `python -m pipeline`: `main()`, then exit.

    Freezing the collector first spares the interpreter's last collections over every object
    the libraries made (0.3 s after a run: a 2-worker run of the benchmark corpus takes ~14 s);
    the exit itself is the usual one (exit handlers run, stdout and stderr flushed), and the
    process's memory goes back to the system in any case."""
    code = main()
    gc.freeze()
    sys.exit(code)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    return _run(args) if args.command == "run" else _validate(args)
