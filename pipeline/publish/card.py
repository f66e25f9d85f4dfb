"""The dataset card (README.md of a release): Hugging Face YAML front matter and prose."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from newsclean.schemas import Corpus, arrow_schema

from ..executor import release_memory
from ..options import writer_level
from . import card_sections

BATCH_ROWS = 8_192  # rows read at a time by the card's passes over a table


def table_batches(folder: Path, columns: list[str]):
    """The record batches of a table folder's files (the files a dataset of it has, in its order),
    file by file on this thread, with the freed memory handed back after each file: a Dataset
    scan reads ahead on Arrow's threads, whose allocator keeps the pages (~60 MB on 1 GB)."""
    for path in ds.dataset(folder, format="parquet").files:
        yield from pq.ParquetFile(path, pre_buffer=False).iter_batches(batch_size=BATCH_ROWS, columns=columns,
                                                                       use_threads=False)
        release_memory()

FAMILY_DOCS = {
    "title": "the headline line, moved to the `title` column",
    "duplicate_title": "the headline repeated (any quote style, with or without a section suffix)",
    "ad_marker": "ad shortcodes (`[ad_1]`) and labels (Advertisement, Story continues below)",
    "source_link": "source and attribution links (Source link, The post … appeared first on …)",
    "credit": "agency credits and desk signatures ((With AP inputs), Source: X, Reporting by …)",
    "comment_prompt": "comment and form prompts (Please enter your comment!, Leave a Reply)",
    "navigation": "navigation (Post navigation, You may also like, Latest World News, Tags: …)",
    "breadcrumb": "breadcrumbs (Home » World, Home World <headline>)",
    "related_link": "related-link insertions (Also read: …, (Keep reading: …), READ MORE:)",
    "share_prompt": "share, subscribe, newsletter prompts and cookie notices",
    "image_caption": "image captions and credits (Image Source : AP …, Photo: …, Getty Images)",
    "hashtags": "hashtag runs",
    "byline": "bylines at the head or tail (they fill `author`)",
    "dateline": "date lines at the head or tail (they fill `published`)",
    "pull_quote": "pull quotes: a short line repeated as a sentence or clause of a body paragraph",
    "template_line": "site template lines: a short line one source repeats across many of its articles",
    "encoding": "lines whose characters were damaged beyond repair (undecodable bytes, mojibake)",
    "body_model": "lines the body model judged not article text (menus, other stories, widgets, "
                  "comments; rule `body_model`, `score` its probability of being article text, under its page's "
                  "threshold: the setting times the page's 90th-percentile probability, at least a "
                  "quarter of it) and "
                  "short lines above the headline it picked (rule `above_headline`, the site's head)",
}


def _size_category(rows: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"),
                        (1_000_000, "100K<n<1M"), (10_000_000, "1M<n<10M")):
        if rows < limit:
            return name
    return "10M<n<100M"


def _feature(field: pa.Field) -> dict:
    if pa.types.is_list(field.type):
        return {"name": field.name, "sequence": str(field.type.value_type)}
    dtype = "timestamp[us]" if pa.types.is_timestamp(field.type) else str(field.type)
    return {"name": field.name, "dtype": dtype}


def _coverage(root: Path) -> tuple[dict[str, int], Counter, int]:
    """Filled fields, languages and words, a record batch at a time (memory flat in corpus size)."""
    columns = ["published", "author", "credits", "url", "language", "word_count"]
    covered = Counter({"published": 0, "author": 0, "credits": 0, "url": 0})
    languages: Counter = Counter()
    words = 0
    for batch in table_batches(root / "data", columns):
        for name in ("published", "author", "url"):
            covered[name] += batch.num_rows - batch[name].null_count
        covered["credits"] += int(pc.sum(pc.greater(pc.list_value_length(batch["credits"]), 0)).as_py() or 0)
        for entry in pc.value_counts(batch["language"]).to_pylist():
            languages[entry["values"]] += entry["counts"]
        words += int(pc.sum(batch["word_count"]).as_py() or 0)
    return dict(covered), languages, words


def _families_of_rules(root: Path) -> dict[str, str]:
    """rule -> family, from the removals table a record batch at a time."""
    family_of: dict[str, str] = {}
    for batch in table_batches(root / "removals", ["rule", "family"]):
        pairs = pa.Table.from_batches([batch]).group_by(["rule", "family"], use_threads=False).aggregate([])
        family_of.update(zip(pairs["rule"].to_pylist(), pairs["family"].to_pylist()))
    return family_of


def _yaml_front_matter(rows: int, languages: Counter, audit_tables: list[str]) -> str:
    """Hugging Face front matter. An audit table with no rows gets no config: `datasets` cannot
    load a Parquet file without rows, and there is nothing to load."""
    features = [_feature(f) for f in arrow_schema(Corpus)]
    langs = sorted(code for code in languages if code != "und") or ["en"]
    lines = ["---", "pretty_name: newsclean news corpus", "license: other",
             "license_name: source-publishers-rights",
             "license_details: The articles remain the work of their publishers; newsclean adds no rights.",
             "language:"] + [f"- {code}" for code in langs] + [
        "size_categories:", f"- {_size_category(rows)}",
        "task_categories:", "- text-generation", "- text-classification",
        "tags:", "- news", "- boilerplate-removal",
        "configs:",
        "- config_name: default", "  default: true", "  data_files:",
        "  - split: train", "    path: data/train-*.parquet",
    ]
    for table in audit_tables:
        lines += [f"- config_name: {table}", "  data_files:", "  - split: train", f"    path: {table}/*.parquet"]
    lines += [
        "dataset_info:", "  config_name: default", "  features:"]
    for feature in features:
        lines.append(f"  - name: {feature['name']}")
        if "sequence" in feature:
            lines.append(f"    sequence: {feature['sequence']}")
        else:
            lines.append(f"    dtype: {feature['dtype']}")
    lines += ["  splits:", "  - name: train", f"    num_examples: {rows}", "---"]
    return "\n".join(lines)


def _codec(publish: dict) -> str:
    """'zstd level 3': how the shards are compressed ('gzip': at the library's default level)."""
    codec = publish["compression"]
    level = writer_level(codec, publish["compression_level"])
    return codec if level is None else f"{codec} level {level}"


def _table(header: tuple[str, ...], rows: list[tuple]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(out)


def _corpus_stage(manifest: dict) -> list[str]:
    """The card's account of the corpus-level cleaning: template lines and folded copies."""
    corpus = manifest["counts"].get("corpus") or {}
    config = manifest["config"].get("corpus") or {}
    templates, dedup = config.get("templates", {}), config.get("dedup", {})
    by_source = corpus.get("template_lines_by_source", {})
    lines = [
        "## Corpus-level cleaning", "",
        "### Template lines", "",
        f"A line was removed as a site template (rule `template_line`) when it has at most "
        f"{templates.get('max_words')} words and recurs, after case, spacing and digits are ignored, "
        f"in at least {templates.get('min_docs')} documents and {100 * (templates.get('min_share') or 0):.0f}% "
        "of the documents of one source (url host, else site name; documents with neither are not "
        "counted), and in no other source: a line shared by two sources is a quote or wire copy and stays. "
        f"{corpus.get('template_lines', 0)} lines were removed this way"
        + (f"; {corpus['template_only_documents']} documents had nothing else and are in `rejects/` "
           "(reason `template_only`)" if corpus.get("template_only_documents") else "") + ".",
        ""]
    if by_source:
        top = sorted(by_source.items(), key=lambda x: (-x[1], x[0]))
        shown = top[:50]
        lines += [_table(("source", "template lines removed"), shown), ""]
        if len(top) > len(shown):
            lines += [f"… and {len(top) - len(shown)} more sources ({sum(n for _, n in top[len(shown):])} "
                      "lines); `removals/` has every one.", ""]
    folded, clusters = corpus.get("duplicates_folded", 0), corpus.get("duplicate_clusters", 0)
    lines += [
        "### Duplicate articles", "",
        "Articles with the same clean text (exact copies)"
        + (f" or an estimated Jaccard similarity of at least {dedup.get('threshold')} between their "
           f"word {dedup.get('shingle_words')}-gram sets (near copies: MinHash with {dedup.get('num_perm')} "
           f"permutations, LSH in {dedup.get('bands')} bands, every candidate checked on the full "
           "signature)" if dedup.get("near", True) else "")
        + " are grouped into clusters (pairs joined transitively). Each cluster publishes one "
        "canonical article: the one with the most words, then the earliest `published`, then the "
        "smallest id. It lists the other copies in `duplicate_ids`, `duplicate_sources` and "
        "`duplicate_urls`; `duplicates/` has one row per copy with its cluster, canonical id and "
        "similarity to the canonical article.",
        "",
        f"{clusters} clusters; {folded} copies folded out of the corpus "
        f"({corpus.get('duplicates_exact', 0)} exact, {corpus.get('duplicates_near', 0)} near copies listed)"
        + (". All near copies are also kept in the corpus (`keep_duplicates`); exact copies are "
           "folded because `content_hash` is unique." if dedup.get("keep_duplicates") else "."),
        ""]
    return lines


def _audit_tables_with_rows(manifest: dict) -> list[str]:
    rows = Counter()
    for entry in manifest["files"]:
        rows[entry.get("table")] += entry.get("rows", 0)
    return [table for table in ("removals", "rejects", "duplicates") if rows[table]]


def dataset_card(root: Path, manifest: dict) -> str:
    counts = manifest["counts"]
    rows = counts["published"]
    covered, languages, words = _coverage(root)
    fix = manifest["config"]["fix"]
    by_rule = counts["removed_by_rule"]
    family_of = _families_of_rules(root)
    by_family = Counter()
    for rule, n in by_rule.items():
        by_family[family_of.get(rule, "?")] += n
    pct = (lambda n: f"{n} ({100 * n / rows:.0f}%)") if rows else (lambda n: str(n))
    columns = _table(("column", "type", "description"),
                     [(f"`{f.name}`", str(f.type), (f.metadata or {}).get(b"description", b"").decode())
                      for f in arrow_schema(Corpus)])
    sections = [
        _yaml_front_matter(rows, languages, _audit_tables_with_rows(manifest)),
        "",
        "# newsclean news corpus",
        "",
        f"{rows} news articles ({words} words), cleaned of page chrome by "
        f"[newsclean](https://pypi.org/project/newsclean/) {manifest['producer']['version']} from "
        f"{manifest['input']['documents']} input documents "
        f"(input sha256 `{manifest['input']['sha256'][:16]}…`, configuration sha256 "
        f"`{manifest['config_sha256'][:16]}…`). Every file of this release is listed with its "
        "sha256 in `manifest.json`; `croissant.json` describes it in Croissant (MLCommons).",
        "",
        "## Files",
        "",
        "- `data/train-*.parquet`: the corpus, one row per article, sorted by `id` "
        f"({_codec(manifest['config']['publish'])}, "
        f"row groups of {manifest['config']['publish']['row_group_rows']} rows).",
        "- `removals/*.parquet`: every line removed from a published article: `id`, `line` "
        "(1-based, in the input text), `rule`, `family`, `text`. Join on `id` to see or reverse any cut.",
        "- `rejects/*.parquet`: every input that was not published, with `reason`, failed `checks`, "
        "`detail` and the `raw` text.",
        "- `duplicates/*.parquet`: every copy folded into another article: `id`, `cluster`, "
        "`canonical_id`, `kind` (exact/near), `similarity`, `source`, `url`, `in_corpus`, `provenance`.",
        "- `manifest.json`: files with rows, bytes and sha256; schema, configuration and input fingerprints.",
        "- [`report.html`](report.html): one self-contained page (open it in a browser; nothing is "
        "fetched) with plots of the removals by family and rule, article length before and after, "
        "`published` over time, sources, languages, reject reasons and duplicate clusters, and sample "
        "documents with their removed lines. `newsclean report DIR` writes it again.",
        "",
        *card_sections.provenance(root, rows),
        "## Columns",
        "",
        columns,
        "",
        *card_sections.example_row(root),
        "## How it was cleaned",
        "",
        "1. **Text repair** with ftfy " + ", ".join(f"`{k}={json.dumps(v)}`" for k, v in fix.items())
        + ". Curly quotes and full-width characters are kept as published; ftfy runs only on lines "
        "holding a character that can need it (provably the same result). Odd spaces (NBSP, thin, "
        "zero-width) are normalised and lines trimmed.",
        "2. **Boilerplate removal**, line by line. Pattern rules (`rules.toml`) match whole lines; "
        "bylines, date lines, breadcrumbs and wire signatures only at the head or tail of an article. "
        "Context rules handle the headline and its repeats, captions, pull quotes and desk signatures. "
        "Then a learned model of the article body (gradient-boosted trees over shallow line and "
        "context features) judges every line the rules left, and picks the headline of a full-page "
        "scrape, reading the url's slug where the input gives a url (see \"Body model\" below).",
        "3. **Paragraph repair**: a paragraph split mid-sentence is joined, stray ` .`/`. .` and "
        "spaces before commas are fixed, paragraphs are separated by one blank line.",
        "4. **Metadata**: title, date (wall clock as given; zone in `published_utc_offset`), byline, "
        "credits, language (fastText's lid.176 model, bundled with newsclean, licensed CC BY-SA 3.0), "
        "word count, SHA-256.",
        "5. **Validation**: every row passes the pandera schema `newsclean.Corpus` before it is "
        "written; failing rows go to `rejects/`. Repeated ids: the first one read wins.",
        "6. **Site template lines** and 7. **duplicate articles**, over the whole corpus "
        "(see \"Corpus-level cleaning\" below).",
        "",
        "### Removed lines by family",
        "",
        _table(("family", "lines", "what"),
               [(f, n, FAMILY_DOCS.get(f, "")) for f, n in sorted(by_family.items(), key=lambda x: (-x[1], x[0]))]),
        "",
        "### Removed lines by rule",
        "",
        _table(("rule", "lines"), sorted(by_rule.items(), key=lambda x: (-x[1], x[0]))),
        "",
        "### Rejected inputs",
        "",
        card_sections.rejects_by_check(root),
        "",
        *_corpus_stage(manifest),
        "## Metadata coverage",
        "",
        _table(("field", "rows with a value"), [(k, pct(v)) for k, v in covered.items()]),
        "",
        "Languages: " + ", ".join(f"{code} {n}" for code, n in languages.most_common()) + ".",
        "",
        "## Loading",
        "",
        "```python",
        "import pandas as pd",
        'df = pd.read_parquet("data/")',
        "",
        "import duckdb",
        "duckdb.sql(\"SELECT language, count(*) FROM 'data/*.parquet' GROUP BY ALL\")",
        "",
        "from datasets import load_dataset",
        'ds = load_dataset("parquet", data_files="data/*.parquet", split="train")',
        "",
        "from newsclean import load_corpus  # validates before returning (pip install newsclean)",
        'table = load_corpus(".")',
        "```",
        "",
        "Check a copy in CI with `newsclean validate <folder>` (exit 0 valid, 1 invalid).",
        "",
        *card_sections.build_command(manifest),
        *card_sections.personal_information(covered, rows),
        *card_sections.intended_uses(),
        "## Body model",
        "",
        "The model that judges the lines the rules left (`rule` `body_model` in `removals/`, with "
        "its `score`) ships inside newsclean (`pipeline/cleaning/body/body_model.npz`). It was "
        "trained by `python3 -m newsclean.cleaning.body.train` on labelled lines of: the development "
        "split of WCXB, the Web Content Extraction Benchmark v1.0 by Murrough Foley "
        "(https://github.com/Murrough-Foley/web-content-extraction-benchmark), licensed CC-BY-4.0 "
        "(https://creativecommons.org/licenses/by/4.0/): 775 article pages rendered to text and "
        "labelled line by line from the benchmark's reviewed main text (changes: rendering and "
        "labelling; the benchmark's authors do not endorse newsclean); newsclean's five seed "
        "articles; and its hand-written rule cases. Switch it off with `--disable body_model` or "
        "`[rules] body_model = false`; move its threshold with `[rules] body_model_threshold`.",
        "",
        "## Known limitations",
        "",
        "- Rules are written for English news; other languages get the language-neutral rules "
        "(shortcodes, hashtags, repeated title, pull quotes, captions by position) only.",
        "- A caption is recognised by its wording or its position next to other chrome; a caption "
        "standing alone between two paragraphs and written like a sentence of the story can stay.",
        "- Dates without a zone are kept as given (wall clock); relative dates (\"3 hours ago\") are "
        "resolved only when the input carries a fetch time.",
        "- `author` is the byline as written; it can name a desk or outlet rather than a person.",
        "- The articles keep their publishers' rights; check them before redistributing.",
        "",
        *card_sections.licenses(),
    ]
    return "\n".join(sections)
