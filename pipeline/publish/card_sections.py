"""Sections of the dataset card a reader of a dataset looks for beyond the columns: where the
articles came from, an example row, the command that built the release, personal information,
intended uses and limits, licenses, and why inputs were rejected (reason and failed check)."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pyarrow.compute as pc

from ..options import Options

TOP_SOURCES = 10
EXAMPLE_TEXT_CHARS = 400  # the example row's text is cut here (the cut is marked)
LICENSES = {
    "newsclean (the code that built this release)": "https://www.apache.org/licenses/LICENSE-2.0",
    "fastText lid.176 language model (bundled)": "https://creativecommons.org/licenses/by-sa/3.0/",
    "WCXB development split (the body model's training pages)": "https://creativecommons.org/licenses/by/4.0/",
}


def _table(header: tuple[str, ...], rows: list[tuple]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(out + ["| " + " | ".join(str(c) for c in row) + " |" for row in rows])


def _batches(root: Path, table: str, columns: list[str]):
    from .card import table_batches  # one reader for the card's passes over a table

    folder = root / table
    return table_batches(folder, columns) if folder.is_dir() else iter(())


def provenance(root: Path, rows: int) -> list[str]:
    """Top sources and the range of `published`."""
    sources: Counter = Counter()
    earliest = latest = None
    dated = 0
    for batch in _batches(root, "data", ["source", "published"]):
        sources.update(value or "(unknown)" for value in batch["source"].to_pylist())
        dated += batch.num_rows - batch["published"].null_count
        if batch.num_rows > batch["published"].null_count:
            low, high = pc.min_max(batch["published"]).values()
            earliest = low.as_py() if earliest is None else min(earliest, low.as_py())
            latest = high.as_py() if latest is None else max(latest, high.as_py())
    top = sorted(sources.items(), key=lambda item: (-item[1], item[0]))[:TOP_SOURCES]
    share = (lambda n: f"{100 * n / rows:.0f}%") if rows else (lambda n: "")
    dates = (f"`published` runs from {earliest:%Y-%m-%d} to {latest:%Y-%m-%d} ({dated} of {rows} "
             "articles carry a date; the others had none the pipeline could read)." if dated else
             "No article carries a `published` date.")
    return ["## Where the articles came from", "",
            f"Top {len(top)} of {len(sources)} sources (url host, else the site name the page gives):", "",
            _table(("source", "articles", "share"), [(s, n, share(n)) for s, n in top]), "", dates, ""]


def example_row(root: Path) -> list[str]:
    """The first row of the corpus (smallest id), its text cut at EXAMPLE_TEXT_CHARS."""
    # one row of the first file, read on this thread (a Dataset's head() reads ahead on Arrow's
    # threads, whose allocator keeps the pages: ~50 MB more peak on 20,000 articles)
    first = next(_batches(root, "data", None), None)
    rows = first.slice(0, 1).to_pylist() if first is not None else []
    if not rows:
        return []
    row = rows[0]
    text = row["text"]
    if len(text) > EXAMPLE_TEXT_CHARS:
        row["text"] = text[:EXAMPLE_TEXT_CHARS] + f"… [{len(text) - EXAMPLE_TEXT_CHARS} more characters]"
    fields = ",\n".join(f"  {json.dumps(key)}: {json.dumps(value, ensure_ascii=False, default=str)}"
                         for key, value in row.items())
    return ["## An example row", "", "The first row of `data/` (text cut for this card):", "", "```json",
            "{\n" + fields + "\n}", "```", ""]


def _changed(config: dict, default: dict, prefix: str = "") -> dict[str, object]:
    """Dotted option names whose value differs from newsclean's defaults."""
    changed = {}
    for key, value in config.items():
        if isinstance(value, dict) and isinstance(default.get(key), dict):
            changed.update(_changed(value, default[key], f"{prefix}{key}."))
        elif default.get(key) != value:
            changed[f"{prefix}{key}"] = value
    return changed


def build_command(manifest: dict) -> list[str]:
    """The command that rebuilds this release from the same inputs, with the options that differ
    from the defaults as flags or, where no flag exists, as the --config keys to set."""
    changed = _changed(manifest["config"], Options().to_dict())
    words = ["newsclean", "run", *manifest["input"].get("paths", [])]
    for name in changed.pop("rules.disabled", []):
        words += ["--disable", name]
    if changed.get("corpus.dedup.keep_duplicates"):
        changed.pop("corpus.dedup.keep_duplicates")
        words.append("--keep-duplicates")
    if "publish.shard_rows" in changed:
        words += ["--shard-rows", str(changed.pop("publish.shard_rows"))]
    words += ["--out", "DIR"]
    lines = ["## How this release was built", "",
             f"newsclean {manifest['producer']['version']}, from {manifest['input']['documents']} input "
             f"documents (input sha256 `{manifest['input']['sha256']}`):", "", "```bash",
             " ".join(_quoted(word) for word in words), "```", ""]
    if changed:
        lines += ["with a `--config` file setting these options (the rest at their defaults):", "",
                  _table(("option", "value"), [(f"`{k}`", f"`{json.dumps(v)}`") for k, v in sorted(changed.items())]), ""]
    lines += ["`DIR` is this folder; the worker count does not change a byte of the output. "
              "`newsclean validate DIR` checks a copy; `newsclean inspect DIR ID` shows one document.", ""]
    return lines


def _quoted(word: str) -> str:
    import shlex

    return shlex.quote(word)


def personal_information(covered: dict[str, int], rows: int) -> list[str]:
    return ["## Personal information", "",
            f"The articles are published journalism and name people. `author` and `authors` hold the "
            f"byline as written ({covered.get('author', 0)} of {rows} articles have one): names of "
            "journalists, published as the outlet printed them. The text names the people the news is "
            "about, public figures and private individuals alike; newsclean does not detect, remove or "
            "mask personal information. `removals/` keeps every removed line, bylines and comment "
            "prompts included, and `rejects/` the raw input. To drop a person's articles, filter on "
            "`id`; the same ids appear in every table.", ""]


def intended_uses() -> list[str]:
    return ["## Intended uses and limits", "",
            "- Meant for: training and evaluating language models on clean news prose; research on "
            "boilerplate removal (`removals/` labels every removed line with its rule); news analysis "
            "where the source and date of each article matter.",
            "- Not meant for: profiling or identifying individuals; redistribution of the articles "
            "without the publishers' permission; treating the corpus as a balanced or representative "
            "sample of the news (it holds what was scraped).",
            "- Limits: see \"Known limitations\" below; the cleaning is rule- and model-based and makes "
            "mistakes in both directions (every removal is in `removals/` to check or undo).", ""]


def licenses() -> list[str]:
    return ["## License", "",
            "The articles remain the work of their publishers; newsclean adds no rights "
            "(`license: other` above). Check each source's terms before redistributing. Other parts:", "",
            *[f"- {what}: {url}" for what, url in LICENSES.items()], ""]


def rejects_by_check(root: Path) -> str:
    """Rejected inputs by reason and, for schema rejects, the check each failed."""
    counts: Counter = Counter()
    for batch in _batches(root, "rejects", ["reason", "checks"]):
        for reason, checks in zip(batch["reason"].to_pylist(), batch["checks"].to_pylist()):
            for check in checks or ["—"]:
                counts[(reason, check)] += 1
    if not counts:
        return "None."
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return (_table(("reason", "failed check", "documents"), [(r, c, n) for (r, c), n in rows])
            + "\n\nA document that failed several schema checks counts under each. `newsclean inspect "
            "DIR ID` shows one rejected input with its reason, checks and raw text.")
