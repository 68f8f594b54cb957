"""Every event-store backend behind one fixture, so one suite checks them all."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from app.events import EventStore, InMemoryEventStore, SqlEventStore
from tests.conftest import open_engine


@pytest.fixture(params=["memory", "sqlite", "postgres"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[EventStore]:
    if request.param == "memory":
        yield InMemoryEventStore()
        return
    engine = await open_engine(request.param, request)
    yield SqlEventStore(engine)
    await engine.dispose()
