"""The CLI's help: examples for each command, defaults shown, and -v/-q accepted on either side
of the subcommand."""
from __future__ import annotations

import argparse

EXAMPLES = """examples:
  newsclean run                          clean seeds/ into dist/
  newsclean run news.jsonl.zst --out corpus --workers 4
  newsclean validate corpus              check a release (exit 0 valid, 1 invalid)
  newsclean inspect corpus ID            one document: its lines, what was removed and why
  newsclean rules                        every rule and family --disable takes
  newsclean report corpus                one HTML page with plots (report.html)
"""
RUN_EXAMPLES = """examples:
  newsclean run                                    seeds/ -> dist/
  newsclean run crawl/ --out corpus --workers 4    a folder, 4 processes
  newsclean run s3://bucket/crawl/ --out corpus    every object under a prefix
  newsclean run a.warc.gz b.jsonl --disable related_link --pattern promo='Subscribe.*'
  newsclean -q run crawl/ --out corpus             no progress line, no summary
  newsclean run s3://b/crawl/ --out s3://b/corpus --engine ray --address auto
                                                   on a Ray cluster, units staged in s3://b/

A progress line is shown on a terminal (not when stderr is redirected, nor with -q); the summary
ends with the commands to look inside the release. Exit 0 when published, 1 when the release could
not be written, 2 for bad options or inputs.
"""
INSPECT_EXAMPLES = """examples:
  newsclean inspect dist 000_fa4969b52f2499a1
  newsclean inspect corpus some-id | less -R
"""
REPORT_EXAMPLES = """examples:
  newsclean report dist                       writes report.html here
  newsclean report corpus --out corpus.html
"""
VALIDATE_EXAMPLES = """examples:
  newsclean validate dist
  newsclean validate s3://bucket/corpus?region=eu-west-1 --format json
"""


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Examples kept as written; each option's default appended unless it is off or unset."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if action.default not in (None, False, [], argparse.SUPPRESS) and "default" not in text:
            shown_default = " ".join(action.default) if isinstance(action.default, list) else action.default
            text += f" (default: {shown_default})"
        return text


def verbosity_options(default) -> argparse.ArgumentParser:
    """-v / -q, taken before or after the subcommand (the subcommand's copy leaves the value
    alone unless given: argparse would otherwise reset what was given before it)."""
    common = argparse.ArgumentParser(add_help=False)
    group = common.add_mutually_exclusive_group()
    group.add_argument("-v", "--verbose", action="count", default=default,
                       help="log every skipped file and rejection (-vv: debug)")
    group.add_argument("-q", "--quiet", action="store_true", default=default,
                       help="no progress and no summary; only errors")
    return common
