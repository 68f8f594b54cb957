"""On PostgreSQL a reader following the whole log never skips an event that commits late."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.database import create_engine
from app.events import Event, SqlEventStore

pytestmark = pytest.mark.postgres


class SlowCommitStore(SqlEventStore):
    """Holds its next write transaction open after writing, before committing: a late committer."""

    hold_next_commit = False

    @asynccontextmanager
    async def _writing(self) -> AsyncIterator[AsyncConnection]:
        async with super()._writing() as conn:
            yield conn
            if self.hold_next_commit:
                self.hold_next_commit = False
                await asyncio.sleep(0.4)


async def follow(store: SqlEventStore, expected: int, seen: list[int]) -> None:
    """Poll the log like a catch-up subscriber: read after the last position seen."""
    checkpoint = 0
    while len(seen) < expected:
        for event in await store.read_all(after=checkpoint):
            assert event.position is not None
            seen.append(event.position)
            checkpoint = event.position
        await asyncio.sleep(0.005)


async def test_reader_never_skips_an_event_that_commits_late(
    postgres_engine: AsyncEngine, postgres_url: str
) -> None:
    # Two stores on two engines stand for two processes (a server and a worker) appending.
    other_engine = create_engine(postgres_url)
    slow, fast = SlowCommitStore(postgres_engine), SqlEventStore(other_engine)
    seen: list[int] = []
    reader = asyncio.create_task(follow(fast, 2, seen))

    slow.hold_next_commit = True
    # The late one appends with an expected version (a transaction of statements it holds
    # open); the prompt one through the group commit (one `kintsugi_append` statement).
    late = asyncio.create_task(slow.append("a", Event(type="t", source="s"), expected_version=0))
    await asyncio.sleep(0.05)  # the slow writer is inside its transaction now
    prompt = asyncio.create_task(fast.append("b", Event(type="t", source="s")))
    (late_event,), (prompt_event,) = await asyncio.gather(late, prompt)
    await asyncio.wait_for(reader, timeout=5)
    await other_engine.dispose()

    assert late_event.position is not None and prompt_event.position is not None
    assert late_event.position < prompt_event.position
    assert seen == [late_event.position, prompt_event.position]


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
