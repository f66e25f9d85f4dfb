"""Typed, immutable options for a run; a user's TOML file overlays the defaults key by key."""
from __future__ import annotations

import dataclasses
import hashlib
import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True, kw_only=True)
class FixOptions:
    """The ftfy configuration, every flag stated (see README, "Text repair")."""

    unescape_html: bool = True  # plain-text input: "&amp;" and "&#8217;" are scraper artefacts, not prose.
    # Not ftfy's "auto": auto switches off for the rest of a text after the first "<", which makes
    # one line's result depend on earlier lines and would forbid fixing lines independently.
    remove_terminal_escapes: bool = True
    fix_encoding: bool = True  # mojibake (UTF-8 read as cp1252/latin-1) is the commonest scraping fault
    restore_byte_a0: bool = True
    replace_lossy_sequences: bool = True
    decode_inconsistent_utf8: bool = True
    fix_c1_controls: bool = True
    fix_latin_ligatures: bool = True  # "ﬁ" -> "fi": a repair, never a change of meaning
    fix_character_width: bool = False  # keep full-width forms: they are correct in CJK text
    uncurl_quotes: bool = False  # keep typographic quotes as published
    fix_line_breaks: bool = True  # CRLF / CR / U+2028 -> "\n"
    fix_surrogates: bool = True
    remove_control_chars: bool = True
    normalization: str | None = "NFC"  # NFC only: NFKC would rewrite characters (e.g. "…" -> "...")
    max_decode_length: int = 1_000_000


@dataclass(frozen=True, kw_only=True)
class RuleOptions:
    """Which boilerplate rules run, and the user's own patterns."""

    disabled: tuple[str, ...] = ()  # rule names (or family names) to switch off
    # extra rules: dicts with name, family, pattern and optional where / max_words (see rules.toml)
    extra: tuple[dict[str, Any], ...] = ()
    pull_quote_min_words: int = 7  # shorter repeats are subheadings echoing a phrase, not pull quotes
    caption_max_words: int = 16  # longest image caption recognised by context alone
    # The learned model of the article body judges every line the rules left (README, "Body
    # model"); a line is removed when its probability of being article text is below the threshold,
    # on each page scaled by how sure the model is of its article (down to a quarter of it:
    # cleaning.body.judge.page_threshold).
    body_model: bool = True
    body_model_threshold: float = 0.04

    def __post_init__(self) -> None:
        if not isinstance(self.body_model, bool):
            raise ValueError(f"rules.body_model must be true or false, not {self.body_model!r}")
        threshold = self.body_model_threshold
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 <= threshold <= 1:
            raise ValueError(f"rules.body_model_threshold must be a number from 0 to 1, not {threshold!r}")


@dataclass(frozen=True, kw_only=True)
class ExtractOptions:
    """HTML extraction (trafilatura) and the limits that keep one bad page from stalling a run."""

    # A news page extracts in ~0.1-1 s; 20 s means a pathological page, not a slow one.
    timeout_seconds: float = 20.0
    # Pages run to ~100-500 kB; 8 MB is far above any article and bounds parser memory and time.
    max_html_chars: int = 8_000_000
    # No global precision / recall setting: the path is chosen per page from evidence
    # (pipeline/extract/choose.py; favor_precision alone lost recall on article pages).
    include_comments: bool = False  # reader comments are not the article
    # htmldate's last-resort guess from any date-like text: on WCXB dev pages it finds 15 more
    # dates of which 5 are right (year-only guesses become "YYYY-01-01"), and its first use in a
    # process compiles dateparser's 200 locales (~30 s), which would trip the time limit.
    extensive_date_search: bool = False
    include_tables: bool = True  # tables in news are data (results, figures), kept as text lines
    deduplicate: bool = False  # trafilatura's cache is per process: output would depend on batch order
    min_text_chars: int = 1  # less extracted text than this: quarantined as "html_no_text"


@dataclass(frozen=True, kw_only=True)
class InputOptions:
    """Field names of row inputs (JSONL, Parquet): which field holds what."""

    text: str = "text"  # the article as text ...
    html: str = "html"  # ... or as an HTML page (goes through HTML extraction; wins over text)
    id: str = "id"  # absent: "<file stem>-<row number>"
    url: str = "url"
    title: str = "title"
    published: str = "published"  # publication date: ISO string, natural date or timestamp
    author: str = "author"


@dataclass(frozen=True, kw_only=True)
class LimitsOptions:
    """Bounds that keep one input from stalling or exhausting a run; a document over any of them
    is quarantined with the limit it broke, and the run goes on."""

    max_document_bytes: int = 20_000_000  # one article's input; news runs to ~10-500 kB
    max_line_chars: int = 200_000  # one line of text; longer is a data blob, not prose
    max_decompressed_bytes: int = 4_000_000_000  # one compressed file, read as a stream
    seconds_per_document: float = 20.0  # cleaning one document; ~1-10 ms is normal

    def __post_init__(self) -> None:
        for name in ("max_document_bytes", "max_line_chars", "max_decompressed_bytes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"limits.{name} must be a positive integer, not {value!r}")
        seconds = self.seconds_per_document
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not seconds > 0:
            raise ValueError(f"limits.seconds_per_document must be a positive number, not {seconds!r}")


@dataclass(frozen=True, kw_only=True)
class PublishOptions:
    """How the corpus is laid out on disk."""

    shard_rows: int = 100_000  # most rows in one Parquet shard
    row_group_rows: int = 1_000  # ~3 MB groups of news text: small enough for remote range reads
    compression: str = "zstd"  # one of PARQUET_CODECS
    # None: zstd at ZSTD_LEVEL, any other codec at its library default. Only zstd, gzip, brotli
    # and lz4 take a level; a level out of the codec's range is refused when the options load.
    compression_level: int | None = None

    def __post_init__(self) -> None:
        codec, level = self.compression.lower(), self.compression_level
        if codec not in PARQUET_CODECS:
            raise ValueError(f"publish.compression must be one of {', '.join(PARQUET_CODECS)}, "
                             f"not {self.compression!r}")
        if level is None:
            return
        if isinstance(level, bool) or not isinstance(level, int):
            raise ValueError(f"publish.compression_level must be an integer, not {level!r}")
        if codec not in LEVELLED_CODECS:
            raise ValueError(f"publish.compression {codec!r} takes no compression_level")
        import pyarrow as pa

        low, high = pa.Codec.minimum_compression_level(codec), pa.Codec.maximum_compression_level(codec)
        if not low <= level <= high:
            raise ValueError(f"publish.compression_level for {codec} must be from {low} to {high}, not {level}")

    @property
    def writer_level(self) -> int | None:
        """The level handed to the Parquet writer (None: the codec's library default)."""
        return writer_level(self.compression, self.compression_level)


PARQUET_CODECS = ("zstd", "gzip", "brotli", "lz4", "snappy", "none")
LEVELLED_CODECS = ("zstd", "gzip", "brotli", "lz4")
# ZSTD's own default. Level 9 made files ~9% smaller on real news text (html-dev's gold texts:
# 505 against 553 kB) but compressed at 47 MB/s against 179, and the data shards are written
# after the corpus stage, in the run's serial tail (bench/PROFILE.md, section 13). pyarrow's own
# default for zstd is 1.
ZSTD_LEVEL = 3


def writer_level(compression: str, level: int | None) -> int | None:
    if level is not None:
        return level
    return ZSTD_LEVEL if compression.lower() == "zstd" else None


@dataclass(frozen=True, kw_only=True)
class TemplateOptions:
    """Site template lines: short lines one source repeats across many of its own articles."""

    enabled: bool = True
    # A line must recur in at least this many of one source's documents ... (2 could be a coincidence
    # such as a shared quote between two follow-ups; 3 is where outlets' chrome starts to show)
    min_docs: int = 3
    # ... and in at least this share of that source's documents: chrome sits on most pages of a
    # site, while a recurring sentence of a running story sits on a few. 30% keeps story lines.
    min_share: float = 0.30
    # Longer lines are prose, not chrome: footers and pitches run to 20-odd words at most.
    max_words: int = 30


@dataclass(frozen=True, kw_only=True)
class DedupOptions:
    """Exact and near-duplicate articles (syndicated copies), folded into one canonical row."""

    near: bool = True  # near copies too (MinHash/LSH); exact copies are always folded: one row per text
    keep_duplicates: bool = False  # publish every copy (each lists the others) instead of folding
    # Estimated Jaccard similarity of word 5-gram sets above which two articles are copies of one
    # story: 0.8 lets through a changed headline, a dateline and an editor's added sentence
    # (measured on wire copies), while two stories on one event rarely share 80% of their 5-grams.
    threshold: float = 0.8
    shingle_words: int = 5  # 5-grams: short enough to survive small edits, long enough to be rare
    num_perm: int = 128  # MinHash permutations: +-0.035 standard error on the similarity at 0.8
    seed: int = 1  # MinHash seed; changing it can change which near-threshold pairs cluster
    # LSH bands of num_perm // bands rows (20 x 6): a pair at similarity 0.8 becomes a candidate
    # with probability 1 - (1 - 0.8**6)**20 = 0.998, one at 0.3 with 0.015; candidates are then
    # checked on the full signature, so bands only trade recall against checking work.
    bands: int = 20


@dataclass(frozen=True, kw_only=True)
class CorpusOptions:
    """Cleaning that needs the whole corpus: run after the per-document steps, before publishing."""

    templates: TemplateOptions = field(default_factory=TemplateOptions)
    dedup: DedupOptions = field(default_factory=DedupOptions)


@dataclass(frozen=True, kw_only=True)
class Options:
    """Everything that changes the output; its hash goes into the manifest."""

    fix: FixOptions = field(default_factory=FixOptions)
    rules: RuleOptions = field(default_factory=RuleOptions)
    extract: ExtractOptions = field(default_factory=ExtractOptions)
    input: InputOptions = field(default_factory=InputOptions)  # read by the readers, not by steps
    publish: PublishOptions = field(default_factory=PublishOptions)
    corpus: CorpusOptions = field(default_factory=CorpusOptions)
    limits: LimitsOptions = field(default_factory=LimitsOptions)
    workers: int = 1  # processes; the output does not depend on it
    batch_docs: int = 500  # documents per unit of work sent to a worker

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def fingerprint(self) -> str:
        """Hash of every option that can change the published bytes (not `workers`)."""
        data = self.to_dict()
        data.pop("workers")
        data.pop("batch_docs")
        blob = json.dumps(data, sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()


def _overlay(cls: type, base: Any, values: dict[str, Any], where: str) -> Any:
    known = {f.name: f for f in dataclasses.fields(cls)}
    changes: dict[str, Any] = {}
    for key, value in values.items():
        if key not in known:
            raise ValueError(f"unknown option {where}{key!r}; known: {', '.join(sorted(known))}")
        current = getattr(base, key)
        if dataclasses.is_dataclass(current):
            if not isinstance(value, dict):
                raise ValueError(f"option {where}{key} must be a table")
            value = _overlay(type(current), current, value, f"{where}{key}.")
        elif isinstance(current, tuple):
            value = tuple(value)
        changes[key] = value
    return dataclasses.replace(base, **changes)


def load_options(path: str | Path | None = None, base: Options | None = None) -> Options:
    """Defaults, overlaid by a TOML file such as

        [rules]
        disabled = ["pull_quote"]
        extra = [{name = "my_footer", family = "navigation", pattern = "more from my site"}]
    """
    options = base or Options()
    if path is None:
        return options
    with open(path, "rb") as handle:
        values = tomllib.load(handle)
    return _overlay(Options, options, values, "")
