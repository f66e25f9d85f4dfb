"""Corpus-level cleaning: what one document cannot tell (site templates, syndicated copies).

templates.py   lines one source repeats across its own articles, removed as `template_line`
dedup.py       exact and near-duplicate articles (MinHash/LSH), folded into a canonical row
stage.py       the passes over the staged corpus, between the per-document steps and publishing
pass2.py       pass 2 over rows in id order: template lines stripped, changed rows re-signed
ranges.py      pass 2 by id ranges of the sorted runs, each on its own (an engine's tasks)
"""
from .stage import CorpusReport, CorpusStage

__all__ = ["CorpusStage", "CorpusReport"]
