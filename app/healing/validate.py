"""Validating candidates: each in its own copy of the repository, run in the sandbox."""

from __future__ import annotations

import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from app.environments.repository_tests import RepositoryTests
from app.healing.candidates import Candidate
from app.healing.hang_guard import HangGuard
from app.healing.reproduce import Reproduction
from app.healing.runner import CommandRunner
from app.healing.suite import DEFAULT_HANG_GUARD, SuiteReport, run_suite
from app.workspace import copy_repository, write_text

if TYPE_CHECKING:
    from app.healing.warm import WarmValidation

_NOT_COPIED = shutil.ignore_patterns(
    ".git", ".venv", "venv", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache",
    "node_modules", ".tox", ".nox", "*.pyc",
)  # fmt: skip


@dataclass(frozen=True)
class Verdict:
    """What validating one candidate showed."""

    candidate: Candidate
    accepted: bool
    reason: str
    targets: SuiteReport | None = None
    suite: SuiteReport | None = None
    seconds: float = 0.0
    validation: str = "cold"  # warm (confirmed cold when accepted), or cold and why


class Validator:
    """Runs the target tests (the reproduction or the failing tests) and then the whole suite
    on a scratch copy per candidate, in the repository's environment (`tests`); accepted
    means targets pass and nothing regressed.

    Each test of a candidate's runs is bounded by `hangs` from its baseline duration, so a
    candidate that makes a test loop costs about a second, not the run's timeout.

    With `warm` (the default) candidates are validated by a warm session where it applies
    (`app.healing.warm`), each one it passes confirmed by the cold runs; `close()` ends it."""

    def __init__(
        self,
        runner: CommandRunner,
        root: Path,
        tests: RepositoryTests,
        *,
        run_timeout: float = 60.0,
        reproduction: Reproduction | None = None,
        hangs: HangGuard = DEFAULT_HANG_GUARD,
        warm: bool = True,
    ) -> None:
        self.runner = runner
        self.root = root
        # Every run, the baseline's and each candidate's, uses the one environment provided
        # for the case, read-only: validation never builds.
        self.tests = tests
        self.test_command = tests.command
        self.environment = tests.environment
        self.run_timeout = run_timeout
        self.reproduction = reproduction
        self.hangs = hangs
        self.warm: WarmValidation | None = self._warm_validation() if warm else None

    @property
    def validation(self) -> str:
        """How this case's candidates were validated: warm, or cold and why."""
        return self.warm.summary if self.warm is not None else "cold (warm validation is off)"

    def prepare(self) -> None:
        """Start what validation keeps for the case (the warm worker) now, so that it starts
        beside the baseline run; `close()` ends it."""
        if self.warm is not None:
            self.warm.prepare()

    async def without_reproduction(self) -> None:
        """Validate against the suite alone: the reproduction did not reproduce. A warm
        worker started on a copy with it starts again on one without it."""
        self.reproduction = None
        if self.warm is not None:
            await self.warm.close()
            self.warm = self._warm_validation()
            self.warm.prepare()

    def _warm_validation(self) -> WarmValidation:
        from app.healing.warm import WarmValidation

        return WarmValidation(self, environment=self.environment)

    async def close(self) -> None:
        if self.warm is not None:
            await self.warm.close()

    def workspace(self, scratch: Path, changes: dict[str, str] | None = None) -> Path:
        copy = copy_repository(self.root, scratch / "repo", ignore=_NOT_COPIED).root
        # Through the workspace: a repository link at the reproduction's path (or its folder)
        # is refused, never written through onto the host.
        if self.reproduction is not None:
            write_text(copy, self.reproduction.path, self.reproduction.source)
        for path, text in (changes or {}).items():
            write_text(copy, path, text)
        return copy

    async def baseline(self, selection: tuple[str, ...] = ()) -> SuiteReport:
        """The suite (and reproduction) on the unchanged repository."""
        with tempfile.TemporaryDirectory(prefix="kintsugi-base-") as scratch:
            copy = self.workspace(Path(scratch))
            return await run_suite(
                self.runner,
                copy,
                self.test_command,
                timeout_seconds=self.run_timeout,
                selection=selection,
                hangs=self.hangs,
                environment=self.environment,
            )

    async def validate(
        self,
        candidate: Candidate,
        targets: frozenset[str],
        baseline: SuiteReport,
        seconds_left: float,
    ) -> Verdict:
        if self.warm is not None:
            return await self.warm.validate(candidate, targets, baseline, seconds_left)
        return await self.validate_cold(candidate, targets, baseline, seconds_left)

    async def validate_cold(
        self,
        candidate: Candidate,
        targets: frozenset[str],
        baseline: SuiteReport,
        seconds_left: float,
        *,
        full_run_only: bool = False,
    ) -> Verdict:
        """Today's validation: a fresh sandboxed pytest for the targets, then the suite. With
        `full_run_only` (a confirmation) the suite run alone judges targets it collects."""
        started = time.monotonic()
        timeout = max(1.0, min(seconds_left, self.run_timeout))
        limits = self.hangs.limits(baseline)
        collected = baseline.passed | baseline.failed
        with tempfile.TemporaryDirectory(prefix="kintsugi-cand-") as scratch:
            copy = self.workspace(Path(scratch), candidate.changes)
            target_report: SuiteReport | None = None
            if targets and not (full_run_only and targets <= collected):
                target_report = await run_suite(
                    self.runner,
                    copy,
                    self.test_command,
                    timeout_seconds=timeout,
                    selection=tuple(sorted(targets)),
                    hangs=self.hangs,
                    limits=limits,
                    environment=self.environment,
                )
                still_failing = targets - target_report.passed
                if still_failing or not target_report.readable:
                    reason = (
                        f"target tests still fail ({len(still_failing)}/{len(targets)})"
                        if target_report.readable
                        else f"target run unreadable ({target_report.outcome})"
                    )
                    return Verdict(
                        candidate, False, reason, target_report, None, time.monotonic() - started
                    )
            suite = await run_suite(
                self.runner,
                copy,
                self.test_command,
                timeout_seconds=timeout,
                hangs=self.hangs,
                limits=limits,
                environment=self.environment,
            )
        seconds = time.monotonic() - started
        if not suite.readable:
            return Verdict(
                candidate,
                False,
                f"test suite unreadable ({suite.outcome})",
                target_report,
                suite,
                seconds,
            )
        regressed = baseline.passed - suite.passed
        if regressed:
            shown = ", ".join(sorted(regressed)[:3])
            return Verdict(
                candidate,
                False,
                f"{len(regressed)} test(s) regressed: {shown}",
                target_report,
                suite,
                seconds,
            )
        if targets - suite.passed - _unselected(suite, targets):
            return Verdict(
                candidate, False, "target tests fail in the full run", target_report, suite, seconds
            )
        return Verdict(
            candidate, True, "targets pass and nothing regressed", target_report, suite, seconds
        )


def _unselected(suite: SuiteReport, targets: frozenset[str]) -> frozenset[str]:
    """Targets the full run does not collect (outside `testpaths`): the targeted run judged them."""
    collected = suite.passed | suite.failed
    return frozenset(target for target in targets if target not in collected)
