"""Schemas of the tables published beside the corpus: what was removed, and what was rejected."""
from __future__ import annotations

import pandera.pandas as pa
from pandera.typing import Series

from .corpus import Int, String, Strings


class Removals(pa.DataFrameModel):
    """One row per line removed from a published document: enough to see and reverse every cut."""

    id: Series[String] = pa.Field(description="Id of the published document the line was removed from.")
    line: Series[Int] = pa.Field(ge=1, description="1-based line number in the input text (after line-break repair).")
    rule: Series[String] = pa.Field(description="Name of the rule that removed the line.")
    family: Series[String] = pa.Field(description="Kind of chrome: ad_marker, credit, navigation, image_caption ...")
    text: Series[String] = pa.Field(description="The removed line.")

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
