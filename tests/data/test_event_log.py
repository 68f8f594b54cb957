"""The event log read through the data layer gives what the event store gives, in fewer selects."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy.ext.asyncio import AsyncEngine

from app.data.event_log import EventLog
from app.events.model import Event, EventMetadata
from app.events.sql import SqlEventStore
from tests.conftest import open_engine


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def engine(request: pytest.FixtureRequest) -> AsyncIterator[AsyncEngine]:
    opened = await open_engine(request.param, request)
    yield opened
    await opened.dispose()


def _event(kind: str, **payload: Any) -> Event:
    return Event(
        type=kind, source="tests", payload=payload, metadata=EventMetadata(installation_id=3)
    )


async def _seed(store: SqlEventStore) -> None:
    for n in range(3):
        await store.append(f"healing-fp{n}", _event("healing.case_opened", case_id=f"case-{n}"))
        await store.append(f"healing-fp{n}", _event("healing.fix_validated", case_id=f"case-{n}"))
        await store.append("functions", _event("function.invoked", function="greet", n=n))


def _selects(engine: AsyncEngine) -> list[str]:
    seen: list[str] = []

    def record(*args: Any) -> None:
        statement = args[2]
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    sa_event.listen(engine.sync_engine, "before_cursor_execute", record)
    return seen


async def test_reads_match_the_event_store(engine: AsyncEngine) -> None:
    store = SqlEventStore(engine)
    await _seed(store)
    log = EventLog.over(engine)

    assert await log.read_all() == await store.read_all()
    assert await log.read_all(after=2, limit=3) == await store.read_all(after=2, limit=3)
    kinds = ["healing.case_opened", "function.invoked"]
    assert await log.read_all(types=kinds) == await store.read_all(types=kinds)
    assert await log.read_stream("healing-fp1") == await store.read_stream("healing-fp1")
    assert await log.read_stream("healing-nothing") == []
    [event] = await log.read_all(limit=1)
    assert event.occurred_at.tzinfo is not None and event.metadata.installation_id == 3


async def test_latest_is_the_tail_of_one_type_in_log_order(engine: AsyncEngine) -> None:
    store = SqlEventStore(engine)
    await _seed(store)
    log = EventLog.over(engine)

    latest = await log.latest(["function.invoked"], limit=2)

    assert [e.payload["n"] for e in latest] == [1, 2]
    assert latest == (await store.read_all(types=["function.invoked"]))[-2:]


async def test_streams_asked_for_together_are_read_in_one_select(engine: AsyncEngine) -> None:
    store = SqlEventStore(engine)
    await _seed(store)
    log = EventLog.over(engine)
    selects = _selects(engine)

    streams = await asyncio.gather(*(log.read_stream(f"healing-fp{n}") for n in range(3)))

    assert len(selects) == 1 and " IN " in selects[0].upper()
    assert [[e.payload["case_id"] for e in s] for s in streams] == [
        ["case-0", "case-0"],
        ["case-1", "case-1"],
        ["case-2", "case-2"],
    ]
    # Nothing is memoised: the log grows, and a second read sees what was appended since.
    await store.append("healing-fp0", _event("healing.pr_opened", case_id="case-0"))
    assert len(await log.read_stream("healing-fp0")) == 3
