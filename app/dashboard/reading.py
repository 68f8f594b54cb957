"""What the dashboard reads from the event store: the tail of the log, events by type."""

from __future__ import annotations

from collections.abc import Sequence

from app.events.model import Event
from app.events.store import EventStore

PAGE = 1000


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
