"""Corpus-level cleaning: what one document cannot tell (site templates, syndicated copies).

templates.py   lines one source repeats across its own articles, removed as `template_line`
dedup.py       exact and near-duplicate articles (MinHash/LSH), folded into a canonical row
stage.py       the passes over the staged corpus, between the per-document steps and publishing
"""
from .stage import CorpusReport, CorpusStage

__all__ = ["CorpusStage", "CorpusReport"]
