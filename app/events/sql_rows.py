"""Rows of the SQL event store's tables, to and from the domain's events and outbox entries."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import Row

from app.events.model import Event, EventMetadata
from app.events.store import OutboxEntry, OutboxStatus
from app.events.tables import CheckpointRecord, EventRecord, OutboxRecord

EVENTS = EventRecord.__table__  # type: ignore[attr-defined]
OUTBOX = OutboxRecord.__table__  # type: ignore[attr-defined]
CHECKPOINTS = CheckpointRecord.__table__  # type: ignore[attr-defined]


def event_row(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "type": event.type,
        "source": event.source,
        "stream": event.stream,
        "stream_version": event.stream_version,
        "payload": event.payload,
        "metadata": metadata_of(event),
        "idempotency_key": event.idempotency_key,
        "occurred_at": event.occurred_at,
    }


def outbox_values(event: Event, position: int | None) -> dict[str, Any]:
    return {
        "event_id": event.id,
        "position": position,
        "event_type": event.type,
        "status": OutboxStatus.PENDING.value,
        "attempts": 0,
        "rounds": 0,
        "updated_at": datetime.now(UTC),
    }


def outbox_row(event: Event, position: int) -> Any:
    return insert(OUTBOX).values(outbox_values(event, position))


def metadata_of(event: Event) -> dict[str, Any]:
    return event.metadata.model_dump(mode="json", exclude_none=True)


def aware(moment: datetime) -> datetime:
    # SQLite hands timestamps back without a zone; they were written in UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def to_event(row: Row[Any]) -> Event:
    return Event(
        id=row.id,
        type=row.type,
        source=row.source,
        stream=row.stream,
        stream_version=row.stream_version,
        position=row.position,
        payload=row.payload,
        metadata=EventMetadata.model_validate(row.metadata),
        idempotency_key=row.idempotency_key,
        occurred_at=aware(row.occurred_at),
    )


def to_outbox(row: Row[Any]) -> OutboxEntry:
    return OutboxEntry(
        event_id=row.event_id,
        position=row.position,
        event_type=row.event_type,
        status=OutboxStatus(row.status),
        attempts=row.attempts,
        last_error=row.last_error,
        updated_at=aware(row.updated_at),
        rounds=row.rounds,
    )
