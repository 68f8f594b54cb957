"""One evolution run as the settings configure it: what the CLI and the nightly job both call."""

from __future__ import annotations

from typing import Any

from app.environments.cache import EnvironmentCache
from app.events.store import EventStore
from app.evolution.corpus import default_corpus_path
from app.evolution.evolver import OnProgress, SelfEvolvingAI
from app.evolution.recorded import RecordedSource
from app.healing.candidate_search import Budget
from app.settings import Settings


def configured_evolver(
    settings: Settings,
    store: EventStore,
    *,
    llm_provider: Any | None = None,
    dry_run: bool = False,
    on_progress: OnProgress | None = None,
    sample_size: int | None = None,
    challengers: int | None = None,
    recorded: RecordedSource | None = None,
    environments: EnvironmentCache | None = None,
) -> SelfEvolvingAI:
    """A `SelfEvolvingAI` over the configured store and corpus, all case kinds, plus the
    recorded live cases `recorded` checks out (the App's, built outside the domain), each case
    in its own environment from `environments` (the process's cache)."""
    return SelfEvolvingAI(
        llm_provider,
        store=store,
        corpus=settings.evolution_corpus_path or default_corpus_path(),
        sample_size=sample_size or settings.evolution_replay_cases,
        kinds=(),
        challengers=challengers or settings.evolution_challengers,
        budget_seconds=settings.evolution_budget_seconds,
        case_budget=Budget(
            seconds=min(settings.healing_budget_seconds, 120.0),
            parallel=1,
            run_timeout=min(60.0, settings.healing_budget_seconds),
        ),
        dry_run=dry_run,
        on_progress=on_progress,
        recorded=recorded,
        environments=environments,
    )


def configured_llm(settings: Settings) -> Any | None:
    """The LLM provider when one is configured, else None (evolution runs without prompts)."""
    if not settings.llm_model:
        return None
    from app.llm import LLMProviderAbstraction

    return LLMProviderAbstraction(settings=settings)
