"""newsclean: scraped news articles in, a clean, validated, documented Parquet corpus out.

    from newsclean import clean_text, run, load_corpus
"""
from .api import InvalidCorpus, clean_text, load_corpus
from .document import Document, Rejection, Removal
from .options import Options, load_options
from .run import RunSummary, run
from .version import __version__

__all__ = ["clean_text", "run", "load_corpus", "Document", "Removal", "Rejection", "Options",
           "load_options", "RunSummary", "InvalidCorpus", "__version__"]
