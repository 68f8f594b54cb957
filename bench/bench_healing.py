"""Benchmark of the healing engine on the bench corpus, offline: fixed/total and time per case,
and for each case why the search stopped (a fix, the budget spent, or every ring exhausted).

Run from the repository root: `python bench/bench_healing.py [--budget S] [--only NAME ...]
[--cold]`. Candidates are validated as `kintsugi heal` validates them: warm where that applies
(each pass confirmed by a cold full-suite run), or with `--cold` one fresh sandboxed pytest per
candidate; each row says which validation the case had and how many widening rings it reached.
Crash cases are healed from their Sentry event and from their traceback text (each is one
run); logic cases from their failing test run. A crash counts as fixed when a validated fix is
found and its trigger no longer crashes with the fix applied (checked in the sandbox).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.environments.repository_tests import RepositoryTests
from app.healing.candidate_search import Budget
from app.healing.engine import build_healer, heal_repository
from app.healing.incidents import incident_from_sentry, incident_from_traceback
from app.healing.incidents.model import Incident
from app.healing.runner import CommandRunner, SandboxCommandRunner
from app.workspace import copy_repository, write_text

CORPUS = Path(__file__).resolve().parent / "corpus"


@dataclass
class Row:
    case: str
    kind: str
    source: str
    fixed: bool
    seconds: float
    candidates: int
    how: str
    stopped: str = "-"
    validation: str = "-"
    rings: int = 0


async def trigger_survives(
    runner: CommandRunner, case: Path, changes: dict[str, str], trigger: str
) -> bool:
    with tempfile.TemporaryDirectory(prefix="kintsugi-bench-") as scratch:
        copy = Path(scratch) / "repo"
        copy_repository(case, copy, ignore=shutil.ignore_patterns("__pycache__"))
        for path, text in changes.items():
            write_text(copy, path, text)
        result = await runner.run([sys.executable, trigger], workdir=copy, timeout_seconds=30)
        return result.exit_code == 0


def inputs(case: Path, spec: dict[str, object]) -> list[tuple[str, Incident | None]]:
    if spec["kind"] != "crash":
        return [("tests", None)]
    found: list[tuple[str, Incident | None]] = []
    if spec.get("sentry_event"):
        found.append(
            ("sentry", incident_from_sentry((case / str(spec["sentry_event"])).read_text()))
        )
    if spec.get("traceback"):
        found.append(
            ("traceback", incident_from_traceback((case / str(spec["traceback"])).read_text()))
        )
    return found


async def run_case(
    case: Path, budget: float, runner: CommandRunner, *, warm: bool = True
) -> list[Row]:
    spec = json.loads((case / "case.json").read_text())
    command = str(spec.get("test_command") or "python -m pytest -q")
    rows = []
    for source, incident in inputs(case, spec):
        healer = build_healer(runner=runner, budget=Budget(seconds=budget, warm=warm))
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="kintsugi-case-") as scratch:
            copy = Path(scratch) / case.name
            copy_repository(case, copy, ignore=shutil.ignore_patterns("__pycache__"))
            try:
                # The corpus needs nothing installed: Kintsugi's interpreter runs its tests.
                tests = RepositoryTests.without_environment(command)
                result = await heal_repository(healer, copy, incident, tests=tests)
            except Exception as error:  # a crash of one case is a row, not the end
                rows.append(
                    Row(
                        case.name,
                        str(spec["kind"]),
                        source,
                        False,
                        time.monotonic() - started,
                        0,
                        f"error: {error}",
                        "error",
                    )
                )
                continue
        fix = result.fix
        fixed = fix is not None
        if fix is not None and spec["kind"] == "crash" and spec.get("trigger"):
            fixed = await trigger_survives(runner, case, fix.changes, str(spec["trigger"]))
        how = f"{fix.strategy}/{fix.operator} c={fix.confidence:.2f}" if fix else "-"
        bug = spec.get("bug")
        if fix is not None and isinstance(bug, dict) and fix.location:
            # Logic cases name the line the bug is on: say whether the fix edited that line.
            at_bug = fix.location.endswith(f"{bug['path']}:{bug['line']}")
            how += (
                " at bug line"
                if at_bug
                else f" at {fix.location} (bug {bug['path']}:{bug['line']})"
            )
        rows.append(
            Row(
                case.name,
                str(spec["kind"]),
                source,
                fixed,
                result.seconds,
                result.candidates_tried,
                how,
                result.stopped if fixed or result.stopped != "fixed" else "fixed, trigger fails",
                result.validation.split(" ", 1)[0].rstrip(","),
                result.rings,
            )
        )
        if not result.validation.startswith("warm") and warm:
            print(f"{case.name} ({source}): {result.validation}", file=sys.stderr)
    return rows


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))] if ordered else 0.0


def print_table(rows: list[Row]) -> None:
    print(
        f"{'case':<28} {'kind':<6} {'input':<10} {'fixed':<6} {'seconds':>8} {'tried':>6} "
        f"{'c/s':>5} {'valid.':<6} {'rings':>5} {'stopped':<10} how"
    )
    for row in rows:
        mark = "yes" if row.fixed else "NO"
        print(
            f"{row.case:<28} {row.kind:<6} {row.source:<10} {mark:<6} "
            f"{row.seconds:>8.1f} {row.candidates:>6} "
            f"{row.candidates / max(row.seconds, 1e-9):>5.1f} {row.validation:<6} {row.rings:>5} "
            f"{row.stopped:<10} {row.how}"
        )
    print()
    print(
        f"{'group':<18} {'fixed/total':>12} {'median s':>9} {'p90 s':>7} {'median tried':>13} "
        f"{'median s to fix':>16} {'unfixed: budget/exhausted':>26} {'c/s':>5}"
    )
    groups: dict[str, list[Row]] = {}
    for kind in dict.fromkeys(row.kind for row in rows):
        # Each kind's inputs, then the kind; the whole corpus last.
        for source in dict.fromkeys(row.source for row in rows if row.kind == kind):
            groups[f"{kind}/{source}"] = [r for r in rows if (r.kind, r.source) == (kind, source)]
        groups[kind] = [row for row in rows if row.kind == kind]
    groups["all"] = rows
    for name, members in groups.items():
        seconds = [row.seconds for row in members]
        tried = [float(row.candidates) for row in members]
        fixed = sum(row.fixed for row in members)
        to_fix = [row.seconds for row in members if row.fixed]
        median_fix = f"{statistics.median(to_fix):.1f}" if to_fix else "-"
        budget = sum(not row.fixed and row.stopped == "budget" for row in members)
        exhausted = sum(not row.fixed and row.stopped == "exhausted" for row in members)
        rate = sum(row.candidates for row in members) / max(sum(seconds), 1e-9)
        print(
            f"{name:<18} {f'{fixed}/{len(members)}':>12} {statistics.median(seconds):>9.1f} "
            f"{percentile(seconds, 0.9):>7.1f} {statistics.median(tried):>13.0f} "
            f"{median_fix:>16} {f'{budget}/{exhausted}':>26} {rate:>5.1f}"
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--budget", type=float, default=60.0, help="seconds per case and input")
    parser.add_argument("--only", nargs="*", default=[], help="case names to run")
    parser.add_argument(
        "--cold", action="store_true", help="one fresh sandboxed pytest per candidate"
    )
    args = parser.parse_args()
    cases = sorted(path.parent for path in CORPUS.glob("*/*/case.json"))
    if args.only:
        cases = [case for case in cases if case.name in args.only]
    runner = SandboxCommandRunner()
    rows: list[Row] = []
    for case in cases:
        rows.extend(await run_case(case, args.budget, runner, warm=not args.cold))
    print_table(rows)


if __name__ == "__main__":
    asyncio.run(main())
