"""The published corpus schema: the single source of truth for columns, types and checks.

The Arrow schema of the Parquet files (`arrow_schema()`), the exported YAML/JSON
(`schemas/corpus.schema.yaml`, `schemas/corpus.arrow.json`) and the dataset card's feature list
are all derived from `Corpus` below; nothing else spells the columns out.
"""
from __future__ import annotations

import hashlib

import re
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Annotated

import pandas as pd
import pandera.pandas as pa
import pyarrow
from pandera import extensions
from pandera.typing import Series

from .checks import mojibake_free, regex_absent

EARLIEST_DATE = "1990-01-01"  # news on the web starts here; older dates come only from input fields
LANGUAGE_CODE = r"^(?:[a-z]{2}|und)$"  # ISO 639-1, or "und" (undetermined, ISO 639-2)
URL_SHAPE = r"^https?://[^\s/$.?#][^\s]*$"
UTC_OFFSET = r"^[+-]\d{2}:\d{2}$"
# The HTML extraction paths (pipeline/extract/choose.py), in the order they are tried.
EXTRACTION_PATHS = ("trafilatura", "trafilatura_recall", "readability", "justext", "json_ld")

String = Annotated[pd.ArrowDtype, pyarrow.string()]
Int = Annotated[pd.ArrowDtype, pyarrow.int64()]
Timestamp = Annotated[pd.ArrowDtype, pyarrow.timestamp("us")]
Strings = Annotated[pd.ArrowDtype, pyarrow.list_(pyarrow.string())]
Ints = Annotated[pd.ArrowDtype, pyarrow.list_(pyarrow.int64())]

# Lines that must never survive cleaning, by rule family of pipeline/cleaning/rules.toml: the
# unambiguous ones. A run that switches a family off publishes such lines, so the check takes the
# families to enforce (`corpus_schema(disabled=...)`).
MARKER_LINES = {
    "ad_marker": r"\[\s*/?\s*ad_\d+\s*\]|advertisement",
    "source_link": r"source link",
    "comment_prompt": r"please enter your (?:comment|name here)!?|you have entered an incorrect email "
                      r"address!?|leave a (?:comment|reply)|add a comment",
    "navigation": r"post navigation|you may also like|related posts",
    "related_link": r"(?:also read|read also)\s*[:\-–—].*",
    "image_caption": r"image source\s*:.*",
    "hashtags": r"#[^\s#]+(?:\s+#[^\s#]+)+",  # a run, as the rule reads it: "#X#X" is one token
}


@lru_cache(maxsize=32)
def _marker_pattern(families: tuple[str, ...]) -> re.Pattern | None:
    parts = [MARKER_LINES[f] for f in families if f in MARKER_LINES]
    if not parts:
        return None
    return re.compile(r"^\s*(?:" + "|".join(parts) + r")\s*$", re.IGNORECASE | re.MULTILINE)


def _arrow(series: pd.Series) -> pyarrow.Array:
    return pyarrow.array(series.array, pyarrow.string())


@extensions.register_check_method(statistics=["families"])
def no_boilerplate_line(series: pd.Series, *, families: list[str]) -> pd.Series:
    """No paragraph is a known chrome line (ad shortcode, 'Source link', comment prompt ...).

    Same answer as `pattern.search(text) is None` per row, in one RE2 pass (schemas/checks.py)."""
    pattern = _marker_pattern(tuple(families))
    if pattern is None:
        return pd.Series(True, index=series.index)
    return pd.Series(regex_absent(_arrow(series), pattern), index=series.index, dtype=bool)


@extensions.register_check_method(statistics=[])
def no_mojibake(series: pd.Series) -> pd.Series:
    """ftfy's own detector finds no mis-decoded text, and no U+FFFD replacement character.

    Same answer as `"\\ufffd" not in t and not is_bad(t)` per row; `is_bad` runs only on the texts a
    proven necessary condition cannot clear (schemas/checks.py)."""
    return pd.Series(mojibake_free(_arrow(series)), index=series.index, dtype=bool)


@extensions.register_check_method(statistics=["earliest"])
def date_in_range(df: pd.DataFrame, *, earliest: str) -> pd.Series:
    """Dates no later than tomorrow; no earlier than `earliest` unless the input field gave them."""
    published = df["published"]
    tomorrow = pd.Timestamp(datetime.now() + timedelta(days=1))
    known = published.notna()
    too_late = known & (published > tomorrow)
    too_early = known & (published < pd.Timestamp(earliest)) & (df["published_from"] != "input")
    return (~(too_late | too_early)).fillna(True).astype(bool)


@extensions.register_check_method(statistics=[])
def counts_match_text(df: pd.DataFrame) -> pd.Series:
    """`content_hash` is the SHA-256 of `text` and `word_count` its whitespace-separated words:
    a row edited after cleaning is caught. (A null text is the text column's failure.)"""
    return pd.Series([text is pd.NA or text is None or (
                          hashlib.sha256(text.encode("utf-8")).hexdigest() == digest and len(text.split()) == words)
                      for text, digest, words in zip(df["text"], df["content_hash"], df["word_count"])],
                     index=df.index, dtype=bool)


class Corpus(pa.DataFrameModel):
    """One row per published news article."""

    id: Series[String] = pa.Field(unique=True, str_length={"min_value": 1, "max_value": 512},
                                  description="Document id: the file stem, the input's id field, or the WARC record id.")
    title: Series[String] = pa.Field(str_length={"min_value": 1},
                                     description="Headline, without breadcrumb prefix or section/site suffix; quote style as published.")
    text: Series[String] = pa.Field(str_length={"min_value": 1}, no_boilerplate_line={"families": list(MARKER_LINES)},
                                    no_mojibake=(),
                                    description="Clean article body; paragraphs separated by one blank line; the title is not repeated.")
    published: Series[Timestamp] = pa.Field(nullable=True,
                                            description="Publication time, wall clock as the page gives it (never shifted to UTC).")
    published_utc_offset: Series[String] = pa.Field(nullable=True, str_matches=UTC_OFFSET,
                                                    description="UTC offset of `published` when the page gave a zone, e.g. +02:00.")
    published_from: Series[String] = pa.Field(nullable=True, isin=["input", "text"],
                                              description="Where `published` came from: an input field or a date line in the text.")
    author: Series[String] = pa.Field(nullable=True, description="Byline as written, without 'By'.")
    authors: Series[Strings] = pa.Field(description="The byline split into names.")
    credits: Series[Strings] = pa.Field(description="News agencies or sources credited, e.g. AP, AFP.")
    url: Series[String] = pa.Field(nullable=True, str_matches=URL_SHAPE, description="Address of the article.")
    source: Series[String] = pa.Field(nullable=True, description="Outlet: host of the url, or the site name the page gives (null when neither is known).")
    sitename: Series[String] = pa.Field(nullable=True, description="Site name the page declares (HTML/WARC input).")
    description: Series[String] = pa.Field(nullable=True, description="Summary the page declares (HTML/WARC input).")
    tags: Series[Strings] = pa.Field(description="Categories and tags the page declares (HTML/WARC input).")
    fetched: Series[Timestamp] = pa.Field(nullable=True, description="When the page was fetched (WARC-Date), UTC.")
    extracted_by: Series[String] = pa.Field(nullable=True, isin=list(EXTRACTION_PATHS),
                                            description="HTML/WARC input: the extractor whose text was kept (trafilatura, trafilatura_recall, readability, justext, json_ld), chosen per page; null for text input.")
    language: Series[String] = pa.Field(str_matches=LANGUAGE_CODE,
                                        description="ISO 639-1 code of the text's language (fastText lid.176), or 'und'.")
    word_count: Series[Int] = pa.Field(gt=0, description="Whitespace-separated words in `text`.")
    content_hash: Series[String] = pa.Field(unique=True, str_matches=r"^[0-9a-f]{64}$",
                                            description="SHA-256 of `text` (UTF-8), hex.")
    removed_lines: Series[Int] = pa.Field(ge=0, description="Lines removed as boilerplate or site template (see removals table).")
    paragraph_lines: Series[Ints] = pa.Field(description="For each paragraph of `text`, the 1-based input line it starts on (as in the removals table).")
    repairs: Series[Strings] = pa.Field(description="Text repairs applied: ftfy, whitespace, join_paragraphs, stray_punctuation.")
    duplicate_ids: Series[Strings] = pa.Field(description="Ids of the other copies of this article (exact or near duplicates; see the duplicates table).")
    duplicate_sources: Series[Strings] = pa.Field(description="Source of each copy in `duplicate_ids` (null when unknown): where the story also ran.")
    duplicate_urls: Series[Strings] = pa.Field(description="Url of each copy in `duplicate_ids` (null when unknown).")
    provenance: Series[String] = pa.Field(str_length={"min_value": 1},
                                          description="Where the document was read: path, and row or record.")

    class Config:
        strict = True
        ordered = True
        coerce = False
        date_in_range = {"earliest": EARLIEST_DATE}
        counts_match_text = ()


@lru_cache(maxsize=32)
def corpus_schema(disabled: tuple[str, ...] = ()) -> pa.DataFrameSchema:
    """The Corpus schema for a run whose options switch off these rule families."""
    schema = Corpus.to_schema()
    if not set(disabled) & set(MARKER_LINES):
        return schema
    enforced = [f for f in MARKER_LINES if f not in disabled]
    text = schema.columns["text"]
    checks = [pa.Check.no_boilerplate_line(families=enforced) if c.name == "no_boilerplate_line" else c
              for c in text.checks]
    return schema.update_column("text", checks=checks)
