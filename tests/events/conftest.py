"""Every event-store backend behind one fixture, so one suite checks them all."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from app.database import event_store
from app.events import EventStore, InMemoryEventStore
from tests.conftest import open_engine


@pytest.fixture(params=["memory", "sqlite", "postgres"])
async def store(request: pytest.FixtureRequest) -> AsyncIterator[EventStore]:
    if request.param == "memory":
        yield InMemoryEventStore()
        return
    # As the app opens it: a SQLite file's writes go through its synchronous twin.
    store = event_store(await open_engine(request.param, request))
    yield store
    await store.close()
