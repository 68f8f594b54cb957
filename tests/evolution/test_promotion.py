"""Replay-based promotion: real replays in the sandbox, decided by the exact paired test."""

from __future__ import annotations

import pytest

from app.events.memory import InMemoryEventStore
from app.events.model import EventType
from app.evolution import ReplayCase, SelfEvolvingAI, default_variant
from app.evolution.history import load_history, record_promotion
from app.evolution.variant import TEMPLATES, StrategyVariant
from app.healing.candidate_search import Budget

pytestmark = pytest.mark.sandbox

# Without templates or search nothing gets fixed: the deliberately broken incumbent.
NO_TEMPLATES = default_variant().derive(
    "templates only, and none of them", strategy_order=("template",), templates=()
)


async def _store_with_active(variant: StrategyVariant) -> InMemoryEventStore:
    store = InMemoryEventStore()
    await record_promotion(store, variant, default_variant(), {"reason": "test set-up"})
    return store


async def test_a_challenger_that_truly_fixes_more_is_promoted(
    fast_crashes: list[ReplayCase], case_budget: Budget
) -> None:
    store = await _store_with_active(NO_TEMPLATES)
    challenger = NO_TEMPLATES.derive("bring the templates back", templates=TEMPLATES)
    evolver = SelfEvolvingAI(store=store, corpus=fast_crashes, case_budget=case_budget)

    result = await evolver.evolve(challengers=[challenger])

    assert result["status"] == "promoted"
    assert result["improvements_applied"] == 1
    assert result["incumbent_replay"]["fixed"] == 0
    (tested,) = result["challengers"]
    assert (tested["fixed"], tested["cases"]) == (5, 5)
    assert tested["decision"]["wins"] == 5 and tested["decision"]["losses"] == 0
    assert tested["decision"]["p_fix"] == pytest.approx(1 / 32)
    promoted = await store.read_all(types=[EventType.EVOLUTION_VARIANT_PROMOTED])
    assert promoted[-1].payload["variant"] == challenger.id
    assert promoted[-1].payload["evidence"]["challenger"]["fixed"] == 5
    assert sorted(promoted[-1].payload["evidence"]["cases_replayed"]) == sorted(
        case.name for case in fast_crashes
    )
    # the active variant is a projection of the log
    assert (await load_history(store)).active == challenger
    assert evolver.get_evolution_status()["improvements_count"] == 2  # set-up + this one


async def test_a_challenger_that_fixes_the_same_cases_is_not_promoted(
    fast_crashes: list[ReplayCase], case_budget: Budget
) -> None:
    store = InMemoryEventStore()
    # Moves search operators only; these crashes are fixed by templates either way.
    equal = default_variant().derive("try comparisons later", operator_offsets={"comparison": 16.0})
    evolver = SelfEvolvingAI(store=store, corpus=fast_crashes, case_budget=case_budget)

    result = await evolver.evolve(challengers=[equal])

    assert result["status"] == "no_improvement"
    assert result["improvements_applied"] == 0
    (tested,) = result["challengers"]
    assert tested["fixed"] == result["incumbent_replay"]["fixed"] == 5
    assert not tested["promote"]
    assert tested["decision"]["wins"] == tested["decision"]["losses"] == 0
    assert await store.count(types=[EventType.EVOLUTION_VARIANT_PROMOTED]) == 0
    # the run itself is on record, so the next one mutates in a new direction
    assert await store.count(types=[EventType.EVOLUTION_REPLAY_COMPLETED]) == 1
    assert (await load_history(store)).active == default_variant()
