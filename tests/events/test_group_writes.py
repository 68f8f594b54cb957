"""One group-commit write on SQLite (statement by statement: in a worker thread for a file, on
the async connection in memory) and on PostgreSQL (one `kintsugi_append` call) applies the
same rules to a group that mixes every case."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from app.database import create_engine, ensure_schema, event_store
from app.events import DuplicateEventError, Event, OutboxStatus, SqlEventStore
from app.events.group_commit import PendingAppend
from tests.conftest import open_engine


@pytest.fixture(params=["sqlite", "sqlite in memory", "postgres"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[SqlEventStore]:
    if request.param == "sqlite in memory":
        engine = create_engine("sqlite+aiosqlite:///:memory:")
        await ensure_schema(engine, auto_migrate=True)
        store = SqlEventStore(engine)
    else:
        store = event_store(await open_engine(request.param, request))
    yield store
    await store.close()


def make(key: str | None, n: int) -> Event:
    return Event(type="test.happened", source="tests", payload={"n": n}, idempotency_key=key)


async def test_a_mixed_group_is_written_in_arrival_order(store: SqlEventStore) -> None:
    (held,) = await store.append("s1", make("held", 0))
    group = [
        PendingAppend("s1", make("k1", 1), outbox=True),
        PendingAppend("s1", make("k1", 2), outbox=True),  # same key as the first, same group
        PendingAppend("s2", make("held", 3), outbox=True),  # key already stored
        PendingAppend("s1", make(None, 4), outbox=False),
        PendingAppend("s2", make("k2", 5), outbox=True),
        PendingAppend("s1", make("k2", 6), outbox=True),  # same key, other stream
    ]

    outcomes = await store._write_group(group)

    first, again, taken, plain, other, again_other = outcomes
    assert isinstance(first, Event) and isinstance(plain, Event) and isinstance(other, Event)
    assert [(e.stream, e.stream_version) for e in (first, plain, other)] == [
        ("s1", 2),
        ("s1", 3),
        ("s2", 1),
    ]
    assert held.position is not None and first.position is not None
    assert plain.position is not None and other.position is not None
    assert held.position < first.position < plain.position < other.position
    assert isinstance(again, DuplicateEventError) and again.existing.id == first.id
    assert isinstance(taken, DuplicateEventError) and taken.existing == held
    assert isinstance(again_other, DuplicateEventError) and again_other.existing.id == other.id
    assert [e.payload["n"] for e in await store.read_all()] == [0, 1, 4, 5]
    queued = {e.event_id: e.status for e in await store.outbox_pending()}
    assert queued == {first.id: OutboxStatus.PENDING, other.id: OutboxStatus.PENDING}
