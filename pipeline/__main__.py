"""`python -m newsclean`. From a checkout, `python -m pipeline` would load the folder a second time
under its folder name, beside the installed `newsclean`: it says what to run instead."""
import sys

if __package__ != "newsclean":
    print("newsclean: the package installs as `newsclean`; run `newsclean` or `python3 -m newsclean` "
          "(after `python3 -m pip install -e .` in a checkout)", file=sys.stderr)
    sys.exit(2)

from .cli import entry  # noqa: E402

entry()
