"""Regenerates each crash case's traceback.txt and sentry_event.json by running its trigger.

Run from the repository root: `python bench/corpus/crashes/capture.py [CASE ...]`. The trigger
runs twice: plainly (its stderr traceback is kept) and under sentry-sdk with a `before_send`
that keeps the event instead of sending it, so the event is exactly what the SDK would send.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

_UNDER_SENTRY = """
import json, runpy, sys
import sentry_sdk

kept = []
sentry_sdk.init(
    dsn="http://public@127.0.0.1:9/1",
    before_send=lambda event, hint: kept.append(event),
    default_integrations=False,
    release=sys.argv[3],
)
sys.path.insert(0, ".")
try:
    runpy.run_path(sys.argv[1], run_name="__main__")
except Exception:
    sentry_sdk.capture_exception()
with open(sys.argv[2], "w") as out:
    json.dump(kept[0], out, indent=1, sort_keys=True, default=str)
"""


def capture(case: Path) -> None:
    spec = json.loads((case / "case.json").read_text())
    trigger = spec.get("trigger") or "trigger.py"
    plain = subprocess.run(
        [sys.executable, trigger], cwd=case, capture_output=True, text=True, timeout=60, check=False
    )
    start = plain.stderr.find("Traceback (most recent call last):")
    if plain.returncode == 0 or start < 0:
        raise SystemExit(f"{case.name}: the trigger did not crash")
    if spec.get("traceback"):
        (case / spec["traceback"]).write_text(plain.stderr[start:])
    if spec.get("sentry_event"):
        subprocess.run(
            [
                sys.executable,
                "-c",
                _UNDER_SENTRY,
                trigger,
                spec["sentry_event"],
                f"{case.name}@1.0.0",
            ],
            cwd=case,
            check=True,
            timeout=60,
            capture_output=True,
        )
    print(f"{case.name}: {plain.stderr.strip().splitlines()[-1]}")


def main(names: list[str]) -> None:
    cases = (
        [HERE / name for name in names]
        if names
        else sorted(p.parent for p in HERE.glob("*/case.json"))
    )
    for case in cases:
        capture(case)


if __name__ == "__main__":
    main(sys.argv[1:])
