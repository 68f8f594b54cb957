"""Fix memory fed from the log: merged and rejected fix pull requests, joined with their cases,
remembered once, and the same whether rebuilt at start or fed as outcomes arrive."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import asdict
from typing import Any

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncEngine

from app.data.event_log import EventLog
from app.data.fix_memory import FixOutcome, describe_incident
from app.data.fix_memory_log import FixMemoryFromLog, OutcomeLog
from app.events.model import Event, EventType
from app.events.sql import SqlEventStore
from app.healing.incidents import incident_from_traceback
from tests.conftest import open_engine

QTY_TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "/srv/app/shop/orders.py", line 2, in total\n'
    '    return order["price"] * order["qty"]\n'
    "KeyError: 'qty'\n"
)
QTY_DIFF = (
    "--- a/shop/orders.py\n+++ b/shop/orders.py\n@@ -1,2 +1,2 @@\n def total(order):\n"
    '-    return order["price"] * order["qty"]\n'
    '+    return order["price"] * order.get("qty", 1)\n'
)
NONE_TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "/srv/app/shop/mail.py", line 8, in send_receipt\n'
    "    address = customer.email.lower()\n"
    "AttributeError: 'NoneType' object has no attribute 'email'\n"
)
NONE_DIFF = (
    "--- a/shop/mail.py\n+++ b/shop/mail.py\n@@ -7,2 +7,4 @@\n"
    "+    if customer is None:\n+        return\n     address = customer.email.lower()\n"
)
ZERO_DIFF = QTY_DIFF.replace('"qty", 1)', '"qty", 0)')
# A new crash like the first: another function of the same module missing the same key.
NEW_QTY = describe_incident(
    "KeyError", "'qty'", ["shop/orders.py:line_total"], 'return item["qty"] * item["price"]'
)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def engine(request: pytest.FixtureRequest) -> AsyncIterator[AsyncEngine]:
    opened = await open_engine(request.param, request)
    yield opened
    await opened.dispose()


@pytest.fixture
def store(engine: AsyncEngine) -> SqlEventStore:
    return SqlEventStore(engine)


@pytest.fixture(params=["data layer", "event store"])
def outcome_log(request: pytest.FixtureRequest, engine: AsyncEngine) -> OutcomeLog:
    """The catch-up reads the log through the data layer in the app; any event store will do."""
    return EventLog.over(engine) if request.param == "data layer" else SqlEventStore(engine)


def _event(kind: str, payload: dict[str, Any]) -> Event:
    return Event(type=kind, source="tests", payload=payload)


async def record_case(
    store: SqlEventStore,
    case_id: str,
    traceback: str,
    diff: str,
    *,
    fingerprint: str,
    repository: str = "octo/shop",
) -> None:
    """The events the healing pipeline and the fix pull request record for one case."""
    incident = incident_from_traceback(traceback)
    where = {"case_id": case_id, "fingerprint": fingerprint, "repository": repository}
    stream = f"healing-{fingerprint}"
    data = json.loads(json.dumps(asdict(incident), default=str))
    await store.append(
        stream,
        _event(
            EventType.HEALING_CASE_OPENED,
            {**where, "incident": incident.summary, "incident_data": data},
        ),
    )
    validated = {"diff": diff, "strategy": "template", "operator": "missing_key"}
    await store.append(stream, _event(EventType.HEALING_FIX_VALIDATED, {**where, **validated}))
    await store.append(stream, _event(EventType.HEALING_PR_OPENED, where))


async def record_outcome(
    store: SqlEventStore,
    kind: EventType,
    case_id: str,
    *,
    fingerprint: str,
    repository: str = "octo/shop",
) -> None:
    payload = {"case_id": case_id, "fingerprint": fingerprint, "repository": repository}
    await store.append(f"healing-{fingerprint}", _event(kind, payload))


async def test_a_merged_fix_is_recalled_for_a_similar_new_incident(
    store: SqlEventStore, outcome_log: OutcomeLog
) -> None:
    await record_case(store, "case-1", QTY_TRACEBACK, QTY_DIFF, fingerprint="fp-qty")
    await record_case(store, "case-2", NONE_TRACEBACK, NONE_DIFF, fingerprint="fp-none")
    await record_outcome(store, EventType.HEALING_PR_MERGED, "case-1", fingerprint="fp-qty")
    await record_outcome(store, EventType.HEALING_PR_MERGED, "case-2", fingerprint="fp-none")
    memory = FixMemoryFromLog(outcome_log)

    first, second = await memory.similar(NEW_QTY, 2)

    assert first.fix.diff == QTY_DIFF and first.fix.outcome == FixOutcome.MERGED
    assert first.fix.exception_type == "KeyError" and first.fix.message == "'qty'"
    assert first.fix.frames == ("/srv/app/shop/orders.py:total",)
    assert first.fix.code_context == 'return order["price"] * order["qty"]'
    assert first.fix.repository == "octo/shop" and first.fix.strategy == "template:missing_key"
    assert first.score > 0.5 > second.score
    assert second.fix.diff == NONE_DIFF


async def test_a_fix_recorded_after_the_first_recall_is_recalled_by_the_next(
    store: SqlEventStore, outcome_log: OutcomeLog
) -> None:
    memory = FixMemoryFromLog(outcome_log)
    assert await memory.similar(NEW_QTY) == []

    await record_case(store, "case-1", QTY_TRACEBACK, QTY_DIFF, fingerprint="fp-qty")
    await record_outcome(store, EventType.HEALING_PR_REJECTED, "case-1", fingerprint="fp-qty")
    [found] = await memory.similar(NEW_QTY)

    assert found.fix.outcome == FixOutcome.REJECTED and found.fix.diff == QTY_DIFF


async def test_replayed_and_repeated_outcomes_leave_one_memory_with_the_latest_outcome(
    store: SqlEventStore, outcome_log: OutcomeLog
) -> None:
    await record_case(store, "case-1", QTY_TRACEBACK, QTY_DIFF, fingerprint="fp-qty")
    await record_outcome(store, EventType.HEALING_PR_REJECTED, "case-1", fingerprint="fp-qty")
    memory = FixMemoryFromLog(outcome_log)
    assert await memory.count() == 1
    # Reopened and merged, and the webhook delivered twice under different ids.
    await record_outcome(store, EventType.HEALING_PR_MERGED, "case-1", fingerprint="fp-qty")
    await record_outcome(store, EventType.HEALING_PR_MERGED, "case-1", fingerprint="fp-qty")

    assert await memory.count() == 1
    [found] = await memory.similar(NEW_QTY)
    assert found.fix.outcome == FixOutcome.MERGED
    # Taking in the whole log again (a restart) changes nothing either.
    again = FixMemoryFromLog(outcome_log, memory.memory)
    assert await again.catch_up() == 1
    assert await again.count() == 1


async def test_memory_rebuilt_from_the_log_equals_the_memory_fed_as_outcomes_arrived(
    store: SqlEventStore, outcome_log: OutcomeLog
) -> None:
    live = FixMemoryFromLog(outcome_log)
    steps: list[tuple[str, str, str, str, EventType | None]] = [
        ("case-1", QTY_TRACEBACK, QTY_DIFF, "fp-qty", EventType.HEALING_PR_REJECTED),
        ("case-2", NONE_TRACEBACK, NONE_DIFF, "fp-none", EventType.HEALING_PR_MERGED),
        ("case-3", QTY_TRACEBACK, ZERO_DIFF, "fp-qty", None),
        (
            "case-4",
            QTY_TRACEBACK,
            ZERO_DIFF,
            "fp-qty",
            EventType.HEALING_PR_MERGED,
        ),
        ("case-2", NONE_TRACEBACK, NONE_DIFF, "fp-none", EventType.HEALING_PR_MERGED),
    ]
    for case_id, traceback, diff, fingerprint, outcome in steps:
        await record_case(store, case_id, traceback, diff, fingerprint=fingerprint)
        if outcome is not None:
            await record_outcome(store, outcome, case_id, fingerprint=fingerprint)
        await live.catch_up()
    rebuilt = FixMemoryFromLog(outcome_log)

    assert await live.count() == await rebuilt.count() == 3
    assert live.position == rebuilt.position == await store.last_position()
    for text in (NEW_QTY, describe_incident("AttributeError", "'NoneType' object", [])):
        assert await live.similar(text, 10) == await rebuilt.similar(text, 10)


async def test_an_outcome_whose_case_is_not_in_the_log_is_skipped(
    store: SqlEventStore, outcome_log: OutcomeLog
) -> None:
    await record_outcome(store, EventType.HEALING_PR_MERGED, "case-gone", fingerprint="fp-x")
    await record_outcome(store, EventType.HEALING_PR_MERGED, "", fingerprint="fp-x")
    memory = FixMemoryFromLog(outcome_log)

    assert await memory.catch_up() == 0
    assert memory.position == await store.last_position()


async def test_a_repository_is_shown_only_its_own_fixes(
    store: SqlEventStore, outcome_log: OutcomeLog
) -> None:
    await record_case(
        store, "case-1", QTY_TRACEBACK, QTY_DIFF, fingerprint="fp-a", repository="a/x"
    )
    await record_outcome(
        store, EventType.HEALING_PR_MERGED, "case-1", fingerprint="fp-a", repository="a/x"
    )
    memory = FixMemoryFromLog(outcome_log)

    assert [hit.fix.repository for hit in await memory.for_repository("a/x").similar(NEW_QTY)] == [
        "a/x"
    ]
    assert await memory.for_repository("b/y").similar(NEW_QTY) == []


async def test_the_catch_up_reads_every_outcomes_case_in_one_select(
    engine: AsyncEngine, store: SqlEventStore
) -> None:
    for n in range(5):
        await record_case(store, f"case-{n}", QTY_TRACEBACK, QTY_DIFF, fingerprint=f"fp-{n}")
        await record_outcome(store, EventType.HEALING_PR_MERGED, f"case-{n}", fingerprint=f"fp-{n}")
    memory = FixMemoryFromLog(EventLog.over(engine))
    selects: list[str] = []

    def record(*args: Any) -> None:
        selects.append(args[2])

    sa_event.listen(engine.sync_engine, "before_cursor_execute", record)
    assert await memory.catch_up() == 5
    sa_event.remove(engine.sync_engine, "before_cursor_execute", record)

    # The outcomes (fewer than a page: nothing more to ask), then their five streams together.
    assert len(selects) == 2


def test_the_live_wiring_loads_qdrant_client_only_when_a_case_is_healed() -> None:
    # Importing qdrant-client takes about a second: web processes that never heal skip it.
    check = (
        "import sys, workers.github_handlers, app.data.fix_memory_log; "
        "assert 'qdrant_client' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", check], check=True, timeout=60)


async def test_a_merged_fix_that_was_reverted_is_remembered_as_reverted(
    store: SqlEventStore, outcome_log: OutcomeLog
) -> None:
    await record_case(store, "case-1", QTY_TRACEBACK, QTY_DIFF, fingerprint="fp-qty")
    await record_outcome(store, EventType.HEALING_PR_MERGED, "case-1", fingerprint="fp-qty")
    memory = FixMemoryFromLog(outcome_log)
    [merged] = await memory.similar(NEW_QTY)

    await record_outcome(store, EventType.HEALING_PR_REVERTED, "case-1", fingerprint="fp-qty")
    [reverted] = await memory.similar(NEW_QTY)

    assert merged.fix.outcome == FixOutcome.MERGED
    assert reverted.fix.outcome == FixOutcome.REVERTED and await memory.count() == 1
