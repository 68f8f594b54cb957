"""On PostgreSQL a reader following the whole log never skips an event that commits late."""

from __future__ import annotations

import asyncio
import random

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.events import Event, SqlEventStore

pytestmark = pytest.mark.postgres


class SlowCommitStore(SqlEventStore):
    """Holds its transaction open after inserting events marked `slow`: a late committer."""

    async def _insert(
        self, conn: AsyncConnection, stream: str, version: int, event: Event, outbox: bool
    ) -> Event:
        stored = await super()._insert(conn, stream, version, event, outbox)
        if event.payload.get("slow"):
            await asyncio.sleep(0.4)
        return stored


async def follow(store: SqlEventStore, expected: int, seen: list[int]) -> None:
    """Poll the log like a catch-up subscriber: read after the last position seen."""
    checkpoint = 0
    while len(seen) < expected:
        for event in await store.read_all(after=checkpoint):
            assert event.position is not None
            seen.append(event.position)
            checkpoint = event.position
        await asyncio.sleep(0.005)


async def test_reader_never_skips_an_event_that_commits_late(postgres_engine: AsyncEngine) -> None:
    store = SlowCommitStore(postgres_engine)
    seen: list[int] = []
    reader = asyncio.create_task(follow(store, 2, seen))

    slow = asyncio.create_task(store.append("a", Event(type="t", source="s", payload={"slow": 1})))
    await asyncio.sleep(0.05)  # the slow writer is inside its transaction now
    fast = asyncio.create_task(store.append("b", Event(type="t", source="s", payload={})))
    (slow_event,), (fast_event,) = await asyncio.gather(slow, fast)
    await asyncio.wait_for(reader, timeout=5)

    assert slow_event.position is not None and fast_event.position is not None
    assert slow_event.position < fast_event.position
    assert seen == [slow_event.position, fast_event.position]


async def test_concurrent_writers_and_a_follower_agree_on_every_event(
    postgres_engine: AsyncEngine,
) -> None:
    store = SqlEventStore(postgres_engine)
    writers, per_writer = 8, 40
    seen: list[int] = []
    reader = asyncio.create_task(follow(store, writers * per_writer, seen))

    async def write(writer: int) -> None:
        rng = random.Random(writer)
        for n in range(per_writer):
            await store.append(f"w{writer}", Event(type="t", source="s", payload={"n": n}))
            await asyncio.sleep(rng.random() / 500)

    await asyncio.gather(*(write(w) for w in range(writers)))
    await asyncio.wait_for(reader, timeout=20)

    assert seen == sorted(seen)
    assert len(set(seen)) == writers * per_writer
    assert seen == [e.position for e in await store.read_all(limit=10_000)]
    for w in range(writers):
        versions = [e.stream_version for e in await store.read_stream(f"w{w}")]
        assert versions == list(range(1, per_writer + 1))
