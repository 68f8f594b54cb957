"""The validation worker Kintsugi starts in the sandbox, from this directory.

Like the pytest plugins beside it, it runs on the repository's interpreter and pytest, not on
Kintsugi's: one module of standard library and pytest only, importable from Python 3.6 on, and
nothing of Kintsugi imports it."""

from pathlib import Path

WORKER_DIR = Path(__file__).resolve().parent
WORKER_SCRIPT = WORKER_DIR / "kintsugi_warm.py"
