"""Pandera schemas of everything newsclean publishes (the single source of the column contract)."""
from .arrow import arrow_schema
from .audit import Duplicates, Rejects, Removals
from .corpus import Corpus

__all__ = ["Corpus", "Removals", "Rejects", "Duplicates", "arrow_schema"]
