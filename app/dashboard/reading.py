"""What the dashboard reads: the live tail from the event store, and the events its projections
fold, through the data layer's view of the log."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncEngine

from app.data.event_log import EventLog
from app.events.model import Event
from app.events.store import EventStore

# A projection folds at most this many of the latest events of its types.
PROJECTION_LIMIT = 20_000


async def recent_events(
    store: EventStore, *, limit: int = 50, after: int | None = None
) -> list[Event]:
    """Events after position `after`, or else the last `limit` events; oldest first."""
    if after is None:
        after = max(0, await store.last_position() - limit)
    events = await store.read_all(after=after, limit=limit)
    return events[-limit:]


def event_log(engine: AsyncEngine) -> EventLog:
    """The log as the data layer reads it (the engine stays the services' to close)."""
    return EventLog.over(engine)


async def events_of_types(
    log: EventLog, types: Sequence[str], *, limit: int = PROJECTION_LIMIT
) -> list[Event]:
    """The latest `limit` stored events of `types` in log order, in one select."""
    return await log.latest(types, limit=limit)
