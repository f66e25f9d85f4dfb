"""Schemas of the tables published beside the corpus: what was removed, rejected, or folded as a copy."""
from __future__ import annotations

from typing import Annotated

import pandas as pd
import pandera.pandas as pa
import pyarrow
from pandera.typing import Series

from .corpus import Int, String, Strings

Float = Annotated[pd.ArrowDtype, pyarrow.float64()]
Bool = Annotated[pd.ArrowDtype, pyarrow.bool_()]


class Removals(pa.DataFrameModel):
    """One row per line removed from a published document: enough to see and reverse every cut."""

    id: Series[String] = pa.Field(description="Id of the published document the line was removed from.")
    line: Series[Int] = pa.Field(ge=1, description="1-based line number in the input text (after line-break repair).")
    rule: Series[String] = pa.Field(description="Name of the rule that removed the line.")
    family: Series[String] = pa.Field(description="Kind of chrome: ad_marker, credit, navigation, image_caption ...")
    text: Series[String] = pa.Field(description="The removed line.")
    score: Series[Float] = pa.Field(nullable=True, ge=0, le=1, description=(
        "For rule body_model: the model's probability that the line is article text (it is removed "
        "below the threshold, option rules.body_model_threshold). Null for named rules."))

    class Config:
        strict = True
        ordered = True


class Rejects(pa.DataFrameModel):
    """One row per input document that was not published, with why."""

    id: Series[String] = pa.Field(description="Document id (or the input path when none could be made).")
    provenance: Series[String] = pa.Field(description="Where the document was read.")
    reason: Series[String] = pa.Field(description="Reason code: unreadable, binary, empty, bad_json, no_text, schema, step_failed ...")
    checks: Series[Strings] = pa.Field(description="Schema checks the row failed (reason 'schema').")
    detail: Series[String] = pa.Field(description="A readable explanation.")
    raw: Series[String] = pa.Field(nullable=True, description="The input text as decoded, when it could be decoded.")

    class Config:
        strict = True
        ordered = True


class Duplicates(pa.DataFrameModel):
    """One row per article folded into another as a copy: where else a story ran, never lost."""

    id: Series[String] = pa.Field(description="Id of the copy.")
    cluster: Series[String] = pa.Field(str_matches=r"^[0-9a-f]{16}$",
                                       description="Cluster id: the first 16 hex of SHA-256 over the members' sorted ids.")
    canonical_id: Series[String] = pa.Field(description="Id of the cluster's published article (the longest, then earliest, then smallest id).")
    kind: Series[String] = pa.Field(isin=["exact", "near"], description="exact: the same clean text; near: MinHash/LSH similarity.")
    similarity: Series[Float] = pa.Field(ge=0, le=1, description="Estimated Jaccard similarity of the copy's word shingles to the canonical article's (1 for exact copies).")
    source: Series[String] = pa.Field(nullable=True, description="Source of the copy (url host, site name or input folder).")
    url: Series[String] = pa.Field(nullable=True, description="Url of the copy.")
    in_corpus: Series[Bool] = pa.Field(description="Whether the copy is also published in the corpus (option keep_duplicates; exact copies never are).")
    provenance: Series[String] = pa.Field(description="Where the copy was read.")

    class Config:
        strict = True
        ordered = True
