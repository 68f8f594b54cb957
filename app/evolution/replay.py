"""Replaying cases with a strategy variant, in the sandbox, through the healer."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from app.environments.cache import EnvironmentCache
from app.environments.environment import Environment
from app.environments.repository_tests import RepositoryTests, checkout_tests
from app.evolution.corpus import ReferenceFix, ReplayCase
from app.evolution.variant import StrategyVariant
from app.evolution.wiring import healer_for
from app.healing.candidate_search import Budget
from app.healing.engine import heal_repository
from app.healing.fix import Fix
from app.healing.runner import CommandRunner, SandboxCommandRunner
from app.workspace import copy_repository, write_text

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CaseOutcome:
    """How one variant did on one case."""

    case: str
    fixed: bool
    seconds: float
    candidates: int = 0
    strategy: str | None = None
    operator: str | None = None
    location: str | None = None
    cost_usd: float = 0.0
    agrees: bool | None = None  # with the merged (or reference) fix, when one is known
    error: str | None = None
    fingerprint: str | None = None


@dataclass
class ReplayRun:
    """A variant's outcomes over a set of cases."""

    variant: StrategyVariant
    outcomes: dict[str, CaseOutcome] = field(default_factory=dict)

    @property
    def fixed(self) -> int:
        return sum(outcome.fixed for outcome in self.outcomes.values())

    @property
    def fix_rate(self) -> float:
        return self.fixed / len(self.outcomes) if self.outcomes else 0.0

    @property
    def median_seconds_to_fix(self) -> float | None:
        seconds = [o.seconds for o in self.outcomes.values() if o.fixed]
        return statistics.median(seconds) if seconds else None

    @property
    def cost_usd(self) -> float:
        return sum(outcome.cost_usd for outcome in self.outcomes.values())

    @property
    def agreement(self) -> float | None:
        known = [o.agrees for o in self.outcomes.values() if o.agrees is not None]
        return sum(known) / len(known) if known else None

    def rows(self) -> dict[str, dict[str, Any]]:
        """Each case's outcome, for reports: fixed, agreement, time, candidates, cost."""
        return {
            name: {
                "fixed": o.fixed,
                "agrees": o.agrees,
                "seconds": round(o.seconds, 2),
                "candidates": o.candidates,
                "strategy": o.strategy,
                "location": o.location,
                "cost_usd": round(o.cost_usd, 6),
                **({"error": o.error} if o.error else {}),
            }
            for name, o in sorted(self.outcomes.items())
        }

    def summary(self) -> dict[str, Any]:
        median = self.median_seconds_to_fix
        agreement = self.agreement
        return {
            "variant": self.variant.id,
            "cases": len(self.outcomes),
            "fixed": self.fixed,
            "fix_rate": round(self.fix_rate, 4),
            "median_seconds_to_fix": None if median is None else round(median, 2),
            "agreement": None if agreement is None else round(agreement, 4),
            "cost_usd": round(self.cost_usd, 6),
        }


Progress = Callable[[StrategyVariant, CaseOutcome], None]


class Replayer:
    """Runs variants on cases, a few at once, within a wall-clock budget.

    Outcomes are remembered per (behaviour, case), so the incumbent runs once however many
    challengers it meets. Cases not started before the deadline are left out of the run."""

    def __init__(
        self,
        *,
        runner: CommandRunner | None = None,
        case_budget: Budget | None = None,
        parallel_cases: int = 2,
        llm_provider: Any | None = None,
        references: Mapping[str, ReferenceFix] | None = None,
        deadline: float | None = None,
        progress: Progress | None = None,
        environments: EnvironmentCache | None = None,
    ) -> None:
        self.runner = runner or SandboxCommandRunner()
        # Each case's own environment, built or reused; None runs every case on Kintsugi's
        # interpreter (the library API and tests, whose corpus needs nothing installed).
        self.environments = environments
        self.case_budget = case_budget or Budget(seconds=60.0, parallel=1, run_timeout=30.0)
        self.parallel_cases = parallel_cases
        self.llm_provider = llm_provider
        self.references = dict(references or {})
        self.deadline = deadline
        self.progress = progress
        self._memo: dict[tuple[str, str], CaseOutcome] = {}

    async def run(self, variant: StrategyVariant, cases: Sequence[ReplayCase]) -> ReplayRun:
        run = ReplayRun(variant)
        gate = asyncio.Semaphore(self.parallel_cases)

        async def one(case: ReplayCase) -> None:
            async with gate:
                if self.deadline is not None and time.monotonic() >= self.deadline:
                    return
                outcome = await self.outcome(variant, case)
                run.outcomes[case.name] = outcome
                if self.progress is not None:
                    self.progress(variant, outcome)

        await asyncio.gather(*(one(case) for case in cases))
        return run

    async def outcome(self, variant: StrategyVariant, case: ReplayCase) -> CaseOutcome:
        key = (variant.behaviour_key, case.name)
        if key not in self._memo:
            self._memo[key] = await self._heal(variant, case)
        return self._memo[key]

    async def _heal(self, variant: StrategyVariant, case: ReplayCase) -> CaseOutcome:
        provider = self.llm_provider
        llm = None
        if provider is not None and getattr(provider, "configured", False):
            llm = provider.for_case()  # a fresh spend counter: the case's own cost
        healer = healer_for(variant, runner=self.runner, llm_provider=llm, budget=self.case_budget)
        started = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="kintsugi-replay-") as scratch:
            copy = Path(scratch) / case.name
            copy_repository(case.root, copy, ignore=shutil.ignore_patterns("__pycache__"))
            try:
                async with self.tests_for(case, copy) as tests:
                    result = await heal_repository(healer, copy, case.incident(), tests=tests)
                    fix = result.fix
                    # Inside the lease: the trigger runs on the same environment.
                    survives = (
                        await self._trigger_survives(case, fix, tests.environment)
                        if fix is not None and case.trigger
                        else True
                    )
            except Exception as error:  # one broken case is an unfixed case, not the end
                log.warning("replay case failed", extra={"case": case.name, "error": str(error)})
                return CaseOutcome(case.name, False, time.monotonic() - started, error=str(error))
        if result.blocked is not None:
            return CaseOutcome(case.name, False, result.seconds, error=result.blocked.reason)
        cost = float(getattr(getattr(llm, "usage", None), "cost_usd", 0.0) or 0.0)
        outcome = CaseOutcome(
            case.name,
            fix is not None,
            result.seconds,
            result.candidates_tried,
            cost_usd=cost,
            fingerprint=result.fingerprint,
        )
        if fix is None:
            return outcome
        return replace(
            outcome,
            fixed=survives,
            strategy=fix.strategy,
            operator=fix.operator,
            location=fix.location,
            agrees=self._agrees(case, fix),
        )

    def _agrees(self, case: ReplayCase, fix: Fix) -> bool | None:
        merged = case.reference or self.references.get(fix.fingerprint)
        if merged is not None:
            return fix.diff == merged.diff or (
                merged.location is not None and fix.location == merged.location
            )
        if case.bug is not None and fix.location is not None:
            return fix.location == f"{case.bug[0]}:{case.bug[1]}"
        return None

    def tests_for(
        self, case: ReplayCase, copy: Path
    ) -> contextlib.AbstractAsyncContextManager[RepositoryTests]:
        """How the copy of `case` is tested: in its environment (with the checkout's overrides)
        when there is an environment cache, on Kintsugi's interpreter otherwise."""
        return checkout_tests(
            self.environments,
            copy,
            config=case.environment,
            test_command=case.test_command,
            own_interpreter_command=case.test_command,
        )

    async def _trigger_survives(
        self, case: ReplayCase, fix: Fix, environment: Environment | None
    ) -> bool:
        """A crash counts as fixed only if its trigger runs clean with the fix (in the sandbox,
        on the case's environment's interpreter when it has one)."""
        assert case.trigger is not None
        with tempfile.TemporaryDirectory(prefix="kintsugi-replay-") as scratch:
            copy = Path(scratch) / case.name
            copy_repository(case.root, copy, ignore=shutil.ignore_patterns("__pycache__"))
            for path, text in fix.changes.items():
                write_text(copy, path, text)
            if environment is None:
                result = await self.runner.run(
                    [sys.executable, case.trigger], workdir=copy, timeout_seconds=30
                )
            else:
                result = await self.runner.run(
                    [str(environment.python), case.trigger],
                    workdir=copy,
                    timeout_seconds=30,
                    readonly=environment.readonly_paths(),
                    env=environment.variables(copy),
                )
            return result.exit_code == 0
