"""pytest plugins Kintsugi loads into a repository's own test runs (`-p`), from this directory.

They run on the repository's interpreter and pytest, not on Kintsugi's: each is one module of
standard library and pytest only, importable from Python 3.6 on, and nothing of Kintsugi
imports them."""

from pathlib import Path

PLUGIN_DIR = Path(__file__).resolve().parent
