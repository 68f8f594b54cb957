"""Benchmark of candidate validation, cold vs warm, on the same candidates of the same cases.

Run from the repository root: `python bench/bench_validation.py [--mutants N] [--only NAME ...]`.
For each logic case of the bench corpus, the first N mutants at its bug line (the candidates a
search proposes there) are validated twice in the sandbox: cold, as each candidate was before
warm validation (a fresh `python -m pytest` for the failing tests, then the whole suite, two
candidates at a time), and warm, through `Validator.validate` (one worker per case started
beside the baseline run, as a heal starts it, so that its start is in neither column; its
traced baseline and session starts, and the cold run confirming every warm pass, are in the
warm column). Prints candidates validated per second each way and whether every verdict is the same,
and, since a case validates mostly candidates that fail before the one that passes, the rate of
the rejected candidates alone validated warm again on a new worker (its start included).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.environments.repository_tests import RepositoryTests
from app.healing.candidates import Candidate
from app.healing.runner import SandboxCommandRunner
from app.healing.search import mutants
from app.healing.suite import SuiteReport
from app.healing.validate import Validator, Verdict
from app.workspace import copy_repository

CORPUS = Path(__file__).resolve().parent / "corpus" / "logic"
# The corpus needs nothing beyond pytest: both ways run on Kintsugi's own interpreter.
TESTS = RepositoryTests.without_environment("python -m pytest -q")


@dataclass
class Row:
    case: str
    candidates: int
    accepted: int
    cold_seconds: float
    warm_seconds: float
    same: bool
    validation: str
    rejected: int = 0
    rejected_warm_seconds: float = 0.0

    @property
    def cold_rate(self) -> float:
        return self.candidates / self.cold_seconds

    @property
    def warm_rate(self) -> float:
        return self.candidates / self.warm_seconds

    @property
    def rejected_rate(self) -> float:
        return self.rejected / self.rejected_warm_seconds if self.rejected_warm_seconds else 0.0


def case_candidates(case: Path, count: int) -> list[Candidate]:
    spec = json.loads((case / "case.json").read_text())
    bug = spec["bug"]
    source = (case / bug["path"]).read_text()
    found = []
    for mutant in mutants(source, bug["line"]):
        if len(found) >= count:
            break
        found.append(
            Candidate("bench", mutant.operator, mutant.description, {bug["path"]: mutant.source})
        )
    return found


async def cold_verdicts(
    validator: Validator,
    candidates: list[Candidate],
    targets: frozenset[str],
    baseline: SuiteReport,
    parallel: int,
) -> list[Verdict]:
    verdicts: list[Verdict] = []
    for start in range(0, len(candidates), parallel):
        batch = candidates[start : start + parallel]
        verdicts += await asyncio.gather(
            *(validator.validate_cold(c, targets, baseline, 60) for c in batch)
        )
    return verdicts


async def run_case(case: Path, count: int, parallel: int, runner: SandboxCommandRunner) -> Row:
    with tempfile.TemporaryDirectory(prefix="kintsugi-bench-") as scratch:
        root = Path(scratch) / case.name
        copy_repository(case, root, ignore=shutil.ignore_patterns("__pycache__"))
        candidates = case_candidates(root, count)
        validator = Validator(runner, root, TESTS, run_timeout=60)
        validator.prepare()  # the warm worker starts beside the baseline run, as in a heal
        baseline = await validator.baseline()
        targets = baseline.failed

        started = time.monotonic()
        cold = await cold_verdicts(validator, candidates, targets, baseline, parallel)
        cold_seconds = time.monotonic() - started

        started = time.monotonic()
        try:
            # As a case does: `parallel` at a time, the worker serving them in turn.
            warm: list[Verdict] = []
            for start in range(0, len(candidates), parallel):
                batch = candidates[start : start + parallel]
                warm += await asyncio.gather(
                    *(validator.validate(c, targets, baseline, 60) for c in batch)
                )
        finally:
            await validator.close()
        warm_seconds = time.monotonic() - started

        # A case validates mostly candidates that fail, then one that passes: the rejected
        # ones again, warm, on a new worker (its start included), with no confirmation.
        rejected = [c for c, v in zip(candidates, cold, strict=True) if not v.accepted]
        again = Validator(runner, root, TESTS, run_timeout=60)
        started = time.monotonic()
        try:
            for start in range(0, len(rejected), parallel):
                await asyncio.gather(
                    *(
                        again.validate(c, targets, baseline, 60)
                        for c in rejected[start : start + parallel]
                    )
                )
        finally:
            await again.close()
        rejected_seconds = time.monotonic() - started
    return Row(
        case.name,
        len(candidates),
        sum(v.accepted for v in cold),
        cold_seconds,
        warm_seconds,
        [v.accepted for v in cold] == [v.accepted for v in warm],
        validator.validation,
        len(rejected),
        rejected_seconds,
    )


def print_table(rows: list[Row]) -> None:
    print(
        f"{'case':<14} {'cands':>5} {'ok':>3} {'cold s':>7} {'warm s':>7} "
        f"{'cold c/s':>8} {'warm c/s':>8} {'speed-up':>8} {'rej. warm c/s':>13}  same  validation"
    )
    for row in rows:
        print(
            f"{row.case:<14} {row.candidates:>5} {row.accepted:>3} {row.cold_seconds:>7.1f} "
            f"{row.warm_seconds:>7.1f} {row.cold_rate:>8.2f} {row.warm_rate:>8.2f} "
            f"{row.warm_rate / row.cold_rate:>7.1f}x {row.rejected_rate:>13.2f}  "
            f"{'yes' if row.same else 'NO':<4}  {row.validation}"
        )
    candidates = sum(row.candidates for row in rows)
    cold = sum(row.cold_seconds for row in rows)
    warm = sum(row.warm_seconds for row in rows)
    same = all(row.same for row in rows)
    rejected = sum(row.rejected for row in rows)
    rejected_rate = rejected / sum(row.rejected_warm_seconds for row in rows)
    print(
        f"{'all':<14} {candidates:>5} {sum(r.accepted for r in rows):>3} {cold:>7.1f} "
        f"{warm:>7.1f} {candidates / cold:>8.2f} {candidates / warm:>8.2f} "
        f"{(candidates / warm) / (candidates / cold):>7.1f}x {rejected_rate:>13.2f}  "
        f"{'yes' if same else 'NO'}"
    )
    print(f"\nload average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mutants", type=int, default=20, help="candidates per case")
    parser.add_argument("--parallel", type=int, default=2, help="candidates validated at once")
    parser.add_argument("--only", nargs="*", default=[], help="case names to run")
    args = parser.parse_args()
    cases = sorted(path.parent for path in CORPUS.glob("*/case.json"))
    if args.only:
        cases = [case for case in cases if case.name in args.only]
    runner = SandboxCommandRunner()
    rows = [await run_case(case, args.mutants, args.parallel, runner) for case in cases]
    print_table(rows)


if __name__ == "__main__":
    asyncio.run(main())
