"""What the dashboard reads from the event store: counts, the tail of the log, events by type."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from app.events.model import Event
from app.events.sql import EVENTS, OUTBOX
from app.events.store import EventStore

PAGE = 1000


async def event_counts_by_type(engine: AsyncEngine) -> dict[str, int]:
    """How many events of each type are stored (one grouped query, not one per type)."""
    query = select(EVENTS.c.type, func.count()).group_by(EVENTS.c.type).order_by(EVENTS.c.type)
    async with engine.connect() as conn:
        return {str(kind): int(count) for kind, count in await conn.execute(query)}


async def outbox_counts(engine: AsyncEngine) -> dict[str, int]:
    """Outbox entries per status (pending, enqueued, done, dead)."""
    query = select(OUTBOX.c.status, func.count()).group_by(OUTBOX.c.status)
    async with engine.connect() as conn:
        return {str(status): int(count) for status, count in await conn.execute(query)}


async def recent_events(
    store: EventStore, *, limit: int = 50, after: int | None = None
) -> list[Event]:
    """Events after position `after`, or else the last `limit` events; oldest first."""
    if after is None:
        after = max(0, await store.last_position() - limit)
    events = await store.read_all(after=after, limit=limit)
    return events[-limit:]


async def events_of_types(
    store: EventStore, types: Sequence[str], *, limit: int = 20_000
) -> list[Event]:
    """Every stored event of `types` in log order, up to the latest `limit` of them."""
    found: list[Event] = []
    after = 0
    while True:
        page = await store.read_all(after=after, limit=PAGE, types=list(types))
        found.extend(page)
        if len(found) > limit:
            del found[: len(found) - limit]
        if len(page) < PAGE:
            return found
        after = page[-1].position or after
