"""Wiring a `Healer` from its parts, and healing a repository from whatever input there is."""

from __future__ import annotations

import functools
import shutil
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from app.environments.repository_tests import RepositoryTests
from app.healing.blockers import Blocker, baseline_blocker, without_missing_modules
from app.healing.candidate_search import Budget, HealingResult
from app.healing.candidates import SearchStrategy, Strategy, TemplateStrategy
from app.healing.incidents.model import Incident
from app.healing.llm_context import FixExamples
from app.healing.localise import RepositoryFiles
from app.healing.pipeline import Healer, Publish
from app.healing.revert import RevertStrategy
from app.healing.runner import CommandRunner, SandboxCommandRunner
from app.healing.spectrum import SpectrumLocaliser
from app.healing.suite import SuiteReport, incident_from_suite, run_suite
from app.workspace import copy_repository


def default_strategies(
    llm_provider: Any | None = None, fix_memory: FixExamples | None = None
) -> list[Strategy]:
    """Templates, then test-guided search, then the LLM when one is configured (shown the
    merged fixes of similar incidents when there is a fix memory); reverting the release's
    suspect commit comes last, so any validated targeted fix wins over it."""
    from app.healing.search import SearchRings, mutants

    # Single edits at the top lines first; pairs of edits come in the search's last ring.
    first_pass = functools.partial(mutants, max_pairs=0)
    search = SearchStrategy(first_pass, rings=SearchRings())
    strategies: list[Strategy] = [TemplateStrategy(), search]
    llm = _llm_strategy(llm_provider, fix_memory)
    if llm is not None:
        strategies.append(llm)
    strategies.append(RevertStrategy())
    return strategies


def _llm_strategy(llm_provider: Any | None, fix_memory: FixExamples | None) -> Strategy | None:
    if llm_provider is None or not getattr(llm_provider, "configured", False):
        return None
    try:
        from app.healing.llm_strategy import LLMStrategy
    except ImportError:
        return None
    strategy: Strategy = LLMStrategy(llm_provider, fix_memory=fix_memory)
    return strategy


def build_healer(
    *,
    runner: CommandRunner | None = None,
    llm_provider: Any | None = None,
    publish: Publish | None = None,
    budget: Budget | None = None,
    strategies: Sequence[Strategy] | None = None,
    fix_memory: FixExamples | None = None,
) -> Healer:
    """`strategies` replaces the default ones (a strategy variant's order and budgets);
    `fix_memory` ranks candidates by precedent and gives the default LLM strategy examples."""
    runner = runner or SandboxCommandRunner()
    budget = budget or Budget()
    return Healer(
        runner,
        default_strategies(llm_provider, fix_memory) if strategies is None else strategies,
        publish=publish,
        budget=budget,
        extra_locations=SpectrumLocaliser(runner, timeout=budget.run_timeout, hangs=budget.hangs),
        fix_memory=fix_memory,
    )


async def heal_repository(
    healer: Healer,
    root: Path,
    incident: Incident | None = None,
    *,
    tests: RepositoryTests,
) -> HealingResult:
    """Heal `incident`, or, without one, whatever the repository's failing tests show, every
    run in `tests`' environment. When the tests cannot judge a change on the unchanged code
    (no report, nothing collected, only imports the environment lacks), the result says so in
    `blocked` and no case opens."""
    baseline: SuiteReport | None = None
    if incident is None:
        started = time.monotonic()
        baseline = await baseline_run(healer, root, tests)
        blocker = baseline_blocker(baseline, RepositoryFiles(root))
        if blocker is not None:
            return blocked_result(blocker, time.monotonic() - started)
        incident = incident_from_suite(without_missing_modules(baseline, RepositoryFiles(root)))
    return await healer.heal(root, incident, tests=tests, baseline=baseline)


async def baseline_run(healer: Healer, root: Path, tests: RepositoryTests) -> SuiteReport:
    """The suite on a scratch copy of the unchanged repository, bounded as the healer's runs."""
    with tempfile.TemporaryDirectory(prefix="kintsugi-run-") as scratch:
        copy = Path(scratch) / "repo"
        copy_repository(root, copy, ignore=shutil.ignore_patterns(".git", ".venv", "__pycache__"))
        return await run_suite(
            healer.runner,
            copy,
            tests.command,
            timeout_seconds=healer.budget.run_timeout,
            hangs=healer.budget.hangs,
            environment=tests.environment,
        )


def blocked_result(blocker: Blocker, seconds: float = 0.0) -> HealingResult:
    """A case that could not open: no incident, so no fingerprint; `blocked` says why."""
    return HealingResult(
        f"case-{uuid.uuid4().hex[:12]}",
        "",
        None,
        False,
        0,
        seconds,
        blocked=blocker,
        stopped="blocked",
    )
