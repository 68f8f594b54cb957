"""Reading the event log through the data layer: events by type, and whole streams batched."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from app.data.layer import UnifiedDataLayer
from app.data.loader import DataLoader
from app.data.ports import Row
from app.events.model import Event, EventMetadata
from app.events.tables import EventRecord

EVENTS_TABLE = "events"
# Streams asked for together share one `stream IN (...)` select, up to this many per select.
MAX_STREAMS_PER_SELECT = 200


class EventLog:
    """The `events` table as the `UnifiedDataLayer` sees it: read-only queries that return
    `Event`s, for projections and for the fix memory's catch-up.

    `read_stream` calls made in the same event-loop tick (a `gather` over many cases) are
    collected by a `DataLoader` into one select over all their streams. Nothing is memoised:
    a stream read twice is read twice, because the log keeps growing.
    """

    def __init__(self, layer: UnifiedDataLayer, *, database: str = "postgres") -> None:
        self._layer = layer
        self._database = database
        self._streams: DataLoader[str, list[Event]] = DataLoader(
            self._read_streams, cache=False, max_batch_size=MAX_STREAMS_PER_SELECT
        )

    @classmethod
    def over(cls, engine: AsyncEngine) -> EventLog:
        """An event log on `engine` (which stays the caller's to close)."""
        return cls(UnifiedDataLayer(engine, tables=[EventRecord]))

    async def read_all(
        self, *, after: int = 0, limit: int = 1000, types: Sequence[str] | None = None
    ) -> list[Event]:
        """Events with position > `after`, oldest first (as `EventStore.read_all`)."""
        filters: dict[str, Any] = {"position": {"gt": after}}
        if types:
            filters["type"] = {"in": list(types)}
        return await self._select(filters, order_by="position", limit=limit)

    async def latest(self, types: Sequence[str], *, limit: int) -> list[Event]:
        """The latest `limit` events of `types`, oldest first: one select, however long the log."""
        rows = await self._select({"type": {"in": list(types)}}, order_by="-position", limit=limit)
        return rows[::-1]

    async def read_stream(self, stream: str) -> list[Event]:
        """One stream's events in stream order, read together with the other streams asked for
        in the same tick."""
        return await self._streams.load(stream)

    async def _read_streams(self, streams: list[str]) -> dict[str, list[Event]]:
        found: dict[str, list[Event]] = {stream: [] for stream in streams}
        for event in await self._select({"stream": {"in": streams}}, order_by="position"):
            found[event.stream].append(event)
        return found

    async def _select(
        self, filters: dict[str, Any], *, order_by: str, limit: int | None = None
    ) -> list[Event]:
        query: dict[str, Any] = {"table": EVENTS_TABLE, "filters": filters, "order_by": order_by}
        if limit is not None:
            query["limit"] = limit
        rows = await self._layer.query("select", query, database=self._database)
        return [event_from_row(row) for row in rows]


def event_from_row(row: Row) -> Event:
    """An `events` row (as the SQL store returns it) as the `Event` it stores."""
    occurred_at: datetime = row["occurred_at"]
    if occurred_at.tzinfo is None:  # SQLite hands timestamps back without a zone; they are UTC
        occurred_at = occurred_at.replace(tzinfo=UTC)
    return Event(
        id=row["id"],
        type=row["type"],
        source=row["source"],
        stream=row["stream"],
        stream_version=row["stream_version"],
        position=row["position"],
        payload=row["payload"],
        metadata=EventMetadata.model_validate(row["metadata"]),
        idempotency_key=row["idempotency_key"],
        occurred_at=occurred_at,
    )
