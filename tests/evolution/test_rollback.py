"""Automatic rollback: the promoted variant's live results against its replay record."""

from __future__ import annotations

from app.events.memory import InMemoryEventStore
from app.events.model import EventType
from app.evolution import SelfEvolvingAI, default_variant
from app.evolution.analysis import case_records
from app.evolution.history import load_history, project_history
from app.evolution.rollback import check_rollback
from tests.evolution.events import Log

PROMOTED = default_variant().derive("try search first", strategy_order=("search", "template"))


def _promoted_then(live: list[bool], *, before: list[bool] | None = None) -> Log:
    log = Log()
    for fixed in before or []:
        log.case(fixed=fixed)
    log.promotion(PROMOTED, default_variant(), cases=10, fixed=10)
    for fixed in live:
        log.case(fixed=fixed)
    return log


def test_live_cases_are_credited_to_the_variant_active_when_they_opened() -> None:
    log = _promoted_then([True, False], before=[True])

    records = case_records(log.events)

    assert [r.variant for r in records] == ["v1", PROMOTED.id, PROMOTED.id]


def test_a_significant_drop_below_the_replay_record_rolls_back() -> None:
    log = _promoted_then([True, False, False, True, False, False, True, False, False, False])

    decision = check_rollback(project_history(log.events), case_records(log.events))

    assert decision.rollback
    assert decision.compared_with == "replay"
    assert (decision.live_fixed, decision.live_cases) == (3, 10)
    assert decision.p_value is not None and decision.p_value < 0.05


def test_results_that_hold_up_keep_the_variant() -> None:
    log = _promoted_then([True] * 8 + [False, True])

    decision = check_rollback(project_history(log.events), case_records(log.events))

    assert not decision.rollback
    assert decision.p_value is not None and decision.p_value > 0.05


def test_too_few_live_cases_decide_nothing() -> None:
    log = _promoted_then([False] * 5)

    decision = check_rollback(project_history(log.events), case_records(log.events))

    assert not decision.rollback and decision.reason == "too few live cases yet"


def test_a_drop_below_the_previous_variants_live_rate_rolls_back_too() -> None:
    log = Log()
    for _ in range(10):
        log.case(fixed=True)
    # replay looked only moderately good, so it alone would not condemn the live results
    log.promotion(PROMOTED, default_variant(), cases=10, fixed=5)
    for fixed in [True, False, False, False, False, True, False, False, False, False]:
        log.case(fixed=fixed)

    decision = check_rollback(project_history(log.events), case_records(log.events))

    assert decision.rollback
    assert decision.compared_with == "live v1"


async def test_evolve_rolls_back_from_recorded_live_outcomes_and_reactivates_the_previous() -> None:
    store = InMemoryEventStore()
    log = _promoted_then([False] * 7 + [True, False, False])
    for event in log.events:
        await store.append(event.stream or "test", event.model_copy(update={"position": None}))
    evolver = SelfEvolvingAI(store=store, corpus=[])

    result = await evolver.evolve()

    assert result["status"] == "rolled_back"
    assert result["active_variant"] == "v1"
    rolled = await store.read_all(types=[EventType.EVOLUTION_VARIANT_ROLLED_BACK])
    assert len(rolled) == 1
    assert rolled[0].payload["variant"] == PROMOTED.id
    assert rolled[0].payload["restored"] == "v1"
    assert rolled[0].payload["evidence"]["live_cases"] == 10
    assert (await load_history(store)).active == default_variant()
    assert evolver.get_evolution_status()["rollbacks_count"] == 1
