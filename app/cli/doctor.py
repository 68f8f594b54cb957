"""`kintsugi doctor`: every check of a set-up, printed with what to do about each failure."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from app.settings import get_settings

MARKS = {"pass": "PASS", "fail": "FAIL", "skip": "SKIP"}


def register(commands: Any) -> None:
    doctor = commands.add_parser(
        "doctor", help="check settings, database, queue, sandbox, the GitHub App and its webhook"
    )
    doctor.add_argument(
        "--server-url",
        default="http://127.0.0.1:8000",
        help="the running `kintsugi serve` to send a signed ping to (default: %(default)s)",
    )
    doctor.set_defaults(handler=run_doctor)


def run_doctor(args: argparse.Namespace) -> int:
    from app.setup.checks import run_checks

    get_settings.cache_clear()  # the settings as they are on disk now
    checks = asyncio.run(run_checks(get_settings, args.server_url))
    width = max(len(check.name) for check in checks)
    for check in checks:
        print(f"{MARKS[check.status]}  {check.name:<{width}}  {check.detail}")
        if check.fix and check.status != "pass":
            print(f"      {'':<{width}}  → {check.fix}")
    failed = [check.name for check in checks if check.status == "fail"]
    skipped = [check.name for check in checks if check.status == "skip"]
    if failed:
        print(f"\n{len(failed)} check(s) failed: {', '.join(failed)}")
        return 1
    print("\nall checks passed" + (f" ({', '.join(skipped)} skipped)" if skipped else ""))
    return 0
