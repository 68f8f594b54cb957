"""The active variant and what the last replay found promising, as projections of the log."""

from __future__ import annotations

from app.events.model import EventType
from app.evolution.history import project_history
from app.evolution.variant import default_variant
from tests.evolution.events import Log

INCUMBENT = default_variant()
STEP = INCUMBENT.derive("step", max_pairs=50)
LOSER = INCUMBENT.derive("loser", max_pairs=10)


def _replayed(log: Log, variant_id: str) -> None:
    log.add(
        EventType.EVOLUTION_REPLAY_COMPLETED,
        {
            "variant": variant_id,
            "challengers": [
                {"wins": 2, "losses": 0, "definition": STEP.to_payload()},
                {"wins": 3, "losses": 1, "definition": LOSER.to_payload()},
            ],
        },
    )


def test_the_last_replay_of_the_active_variant_names_the_promising_steps() -> None:
    log = Log()
    _replayed(log, "v1")

    history = project_history(log.events)

    assert history.replays == 1
    assert history.promising == [STEP]


def test_a_promotion_clears_promising_steps_and_stale_replays_add_none() -> None:
    log = Log()
    _replayed(log, "v1")
    log.promotion(STEP, INCUMBENT, cases=5, fixed=5)
    _replayed(log, "v1")  # a replay of a variant no longer active

    history = project_history(log.events)

    assert history.active == STEP
    assert history.previous == [INCUMBENT]
    assert history.promising == []
    assert history.replay_records[STEP.id] == (5, 5)


def test_a_rollback_of_a_variant_that_is_not_active_changes_nothing() -> None:
    log = Log()
    log.promotion(STEP, INCUMBENT, cases=5, fixed=5)
    log.add(EventType.EVOLUTION_VARIANT_ROLLED_BACK, {"variant": "v9-someone"})

    assert project_history(log.events).active == STEP
