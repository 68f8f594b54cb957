"""Running a repository's tests on a scratch checkout: reproducing a failed CI run, and
verifying a pushed fix commit for its check run and pull request body."""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from app.environments.repository_tests import RepositoryTests
from app.github.git import Checkout
from app.healing import Fix, Incident
from app.healing.blockers import Blocker, baseline_blocker, without_missing_modules
from app.healing.hang_guard import HangGuard
from app.healing.localise import RepositoryFiles
from app.healing.runner import CommandRunner
from app.healing.suite import DEFAULT_HANG_GUARD, SuiteReport, incident_from_suite, run_suite
from app.workspace import copy_repository


@dataclass(frozen=True)
class Verification:
    """The tests run on a pushed fix commit: for its check run and the pull request body."""

    verdict: str
    passed: bool
    summary: str

    @property
    def title(self) -> str:
        return f"Tests on the fix: {self.verdict}"


async def _run_on_copy(
    checkout: Checkout,
    runner: CommandRunner,
    tests: RepositoryTests,
    run_seconds: float,
    prefix: str,
    scratch_root: Path | None,
    hangs: HangGuard,
) -> SuiteReport:
    # A copy without git metadata: the sandbox never sees the remote or its history.
    with tempfile.TemporaryDirectory(prefix=prefix, dir=scratch_root) as tmp:
        copy = Path(tmp) / "repo"
        copy_repository(checkout.root, copy, ignore=shutil.ignore_patterns(".git"))
        return await run_suite(
            runner,
            copy,
            tests.command,
            timeout_seconds=run_seconds,
            hangs=hangs,
            environment=tests.environment,
        )


async def reproduce(
    checkout: Checkout,
    runner: CommandRunner,
    tests: RepositoryTests,
    *,
    run_seconds: float,
    scratch_root: Path | None = None,
    hangs: HangGuard = DEFAULT_HANG_GUARD,
) -> tuple[Incident, SuiteReport] | Blocker:
    """Run the tests at the checkout's head in the repository's environment; the failures
    become the incident, unless the run cannot judge a change (then why not). Raises
    `UnreadableIncident` when the tests pass."""
    report = await _run_on_copy(
        checkout, runner, tests, run_seconds, "kintsugi-ci-", scratch_root, hangs
    )
    files = RepositoryFiles(checkout.root)
    blocker = baseline_blocker(report, files)
    if blocker is not None:
        return blocker
    return incident_from_suite(without_missing_modules(report, files)), report


async def verify(
    checkout: Checkout,
    runner: CommandRunner,
    tests: RepositoryTests,
    fix: Fix,
    *,
    run_seconds: float,
    scratch_root: Path | None = None,
    hangs: HangGuard = DEFAULT_HANG_GUARD,
) -> Verification:
    """Run the tests once more on the committed fix."""
    report = await _run_on_copy(
        checkout, runner, tests, run_seconds, "kintsugi-verify-", scratch_root, hangs
    )
    counts = report.counts()
    verdict = f"{counts['passed']} passed, {counts['failed']} failed"
    return Verification(
        verdict=verdict,
        passed=report.readable and not report.failed and report.total > 0,
        summary=(
            f"Kintsugi ran `{tests.command}` on this commit in its sandbox{_where(tests)}: "
            f"{verdict}.\n\n"
            f"Fix `{fix.id}` ({fix.strategy}/{fix.operator}), confidence {fix.confidence:.2f}."
        ),
    )


def _where(tests: RepositoryTests) -> str:
    environment = tests.environment
    if environment is None:
        return ""
    return f", in the repository's environment (Python {environment.recipe.python.version})"
