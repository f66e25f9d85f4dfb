"""Croissant (MLCommons) metadata for a release, derived from the schemas and the manifest."""
from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from newsclean.schemas import Corpus, Duplicates, Rejects, Removals, arrow_schema

from .card import table_batches

# The standard Croissant 1.0 @context, key for key (mlcroissant warns on any other).
CONTEXT = {
    "@language": "en", "@vocab": "https://schema.org/", "citeAs": "cr:citeAs", "column": "cr:column",
    "conformsTo": "dct:conformsTo", "cr": "http://mlcommons.org/croissant/", "rai": "http://mlcommons.org/croissant/RAI/",
    "data": {"@id": "cr:data", "@type": "@json"}, "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "dct": "http://purl.org/dc/terms/", "equivalentProperty": "cr:equivalentProperty",
    "examples": {"@id": "cr:examples", "@type": "@json"}, "extract": "cr:extract", "field": "cr:field",
    "fileProperty": "cr:fileProperty", "fileObject": "cr:fileObject", "fileSet": "cr:fileSet",
    "format": "cr:format", "includes": "cr:includes", "isLiveDataset": "cr:isLiveDataset",
    "jsonPath": "cr:jsonPath", "key": "cr:key", "md5": "cr:md5", "parentField": "cr:parentField",
    "path": "cr:path", "recordSet": "cr:recordSet", "references": "cr:references", "regex": "cr:regex",
    "repeated": "cr:repeated", "replace": "cr:replace", "samplingRate": "cr:samplingRate",
    "sc": "https://schema.org/", "separator": "cr:separator", "source": "cr:source",
    "subField": "cr:subField", "transform": "cr:transform",
}
TABLES = (("corpus", "data", Corpus, "News articles, one row each."),
          ("removals", "removals", Removals, "Lines removed from the published articles."),
          ("rejects", "rejects", Rejects, "Inputs that were not published, with the reason."),
          ("duplicates", "duplicates", Duplicates, "Copies of published articles (exact or near duplicates), folded into them."))


def _data_type(arrow_type: pa.DataType) -> str:
    if pa.types.is_list(arrow_type):
        arrow_type = arrow_type.value_type
    if pa.types.is_integer(arrow_type):
        return "sc:Integer"
    if pa.types.is_timestamp(arrow_type):
        return "sc:DateTime"
    if pa.types.is_floating(arrow_type):
        return "sc:Float"
    if pa.types.is_boolean(arrow_type):
        return "sc:Boolean"
    return "sc:Text"


def newest_article_date(root: Path) -> str | None:
    """The day of the newest `published` in the corpus: a release date that is the same on every
    run over the same input (a run timestamp would break byte-reproducibility)."""
    newest = None
    for batch in table_batches(root / "data", ["published"]):
        value = pc.max(batch["published"]).as_py()  # a record batch at a time
        if value is not None and (newest is None or value > newest):
            newest = value
    return None if newest is None else newest.date().isoformat()


def croissant(root: Path, manifest: dict) -> dict:
    distribution = []
    record_sets = []
    for name, folder, model, description in TABLES:
        distribution.append({
            "@type": "cr:FileSet", "@id": f"{name}-files", "name": f"{name}-files",
            "description": f"Parquet files of the {name} table.",
            "encodingFormat": "application/x-parquet", "includes": f"{folder}/*.parquet"})
        fields = []
        for field in arrow_schema(model):
            entry = {
                "@type": "cr:Field", "@id": f"{name}/{field.name}", "name": field.name,
                "description": (field.metadata or {}).get(b"description", b"").decode(),
                "dataType": _data_type(field.type),
                "source": {"fileSet": {"@id": f"{name}-files"}, "extract": {"column": field.name}},
            }
            if pa.types.is_list(field.type):
                entry["repeated"] = True
            fields.append(entry)
        record_set = {"@type": "cr:RecordSet", "@id": name, "name": name,
                      "description": description, "field": fields}
        if model is Corpus:
            record_set["key"] = {"@id": f"{name}/id"}
        record_sets.append(record_set)
    dataset = {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "name": "newsclean-news-corpus",
        "description": ("News articles cleaned of page chrome (ads, navigation, captions, credits, "
                        "comment prompts) by newsclean, with every removal and rejection recorded."),
        "conformsTo": "http://mlcommons.org/croissant/1.0",
        "citeAs": "newsclean news corpus, produced by newsclean "
                  f"{manifest['producer']['version']}, input sha256 {manifest['input']['sha256']}",
        "license": "https://spdx.org/licenses/NOASSERTION",
        "url": "https://pypi.org/project/newsclean/",
        "version": "1.0.0",
        "keywords": ["news", "boilerplate removal", "text cleaning"],
        "distribution": distribution,
        "recordSet": record_sets,
    }
    published = newest_article_date(root)
    if published:
        dataset["datePublished"] = published
    return dataset
