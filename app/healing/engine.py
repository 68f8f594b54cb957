"""Wiring a `Healer` from its parts, and healing a repository from whatever input there is."""

from __future__ import annotations

import functools
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from app.healing.candidate_search import Budget, HealingResult
from app.healing.candidates import SearchStrategy, Strategy, TemplateStrategy
from app.healing.incidents.model import Incident
from app.healing.llm_context import FixExamples
from app.healing.pipeline import Healer, Publish
from app.healing.revert import RevertStrategy
from app.healing.runner import CommandRunner, SandboxCommandRunner
from app.healing.spectrum import SpectrumLocaliser
from app.healing.suite import DEFAULT_TEST_COMMAND, SuiteReport, incident_from_suite, run_suite
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
    test_command: str = DEFAULT_TEST_COMMAND,
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
        extra_locations=SpectrumLocaliser(
            runner, test_command, timeout=budget.run_timeout, hangs=budget.hangs
        ),
        fix_memory=fix_memory,
    )


async def heal_repository(
    healer: Healer,
    root: Path,
    incident: Incident | None = None,
    *,
    test_command: str = DEFAULT_TEST_COMMAND,
) -> HealingResult:
    """Heal `incident`, or, without one, whatever the repository's failing tests show."""
    baseline: SuiteReport | None = None
    if incident is None:
        with tempfile.TemporaryDirectory(prefix="kintsugi-run-") as scratch:
            copy = Path(scratch) / "repo"
            copy_repository(
                root, copy, ignore=shutil.ignore_patterns(".git", ".venv", "__pycache__")
            )
            baseline = await run_suite(
                healer.runner,
                copy,
                test_command,
                timeout_seconds=healer.budget.run_timeout,
                hangs=healer.budget.hangs,
            )
        incident = incident_from_suite(baseline)
    return await healer.heal(root, incident, test_command=test_command, baseline=baseline)
