"""The in-memory event store: the reference behaviour, for tests and the library API."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

from app.events.model import Event
from app.events.store import (
    ANY_VERSION,
    ConcurrencyError,
    DuplicateEventError,
    OutboxEntry,
    OutboxStatus,
)


class InMemoryEventStore:
    """Keeps everything in lists and dicts; appends are serialised by one lock."""

    def __init__(self) -> None:
        self._events: list[Event] = []
        self._by_id: dict[uuid.UUID, Event] = {}
        self._by_key: dict[str, Event] = {}
        self._streams: dict[str, list[Event]] = {}
        self._checkpoints: dict[str, int] = {}
        self._outbox: dict[uuid.UUID, OutboxEntry] = {}
        self._lock = asyncio.Lock()

    async def append(
        self,
        stream: str,
        events: Event | Sequence[Event],
        *,
        expected_version: int | None = ANY_VERSION,
        outbox: bool = False,
    ) -> list[Event]:
        batch = [events] if isinstance(events, Event) else list(events)
        async with self._lock:
            current = len(self._streams.get(stream, []))
            if expected_version is not None and expected_version != current:
                raise ConcurrencyError(stream, expected_version, current)
            for event in batch:
                if event.idempotency_key and event.idempotency_key in self._by_key:
                    raise DuplicateEventError(
                        event.idempotency_key, self._by_key[event.idempotency_key]
                    )
            stored: list[Event] = []
            for offset, event in enumerate(batch, start=1):
                kept = event.model_copy(
                    update={
                        "stream": stream,
                        "stream_version": current + offset,
                        "position": len(self._events) + 1,
                    }
                )
                self._events.append(kept)
                self._by_id[kept.id] = kept
                if kept.idempotency_key:
                    self._by_key[kept.idempotency_key] = kept
                self._streams.setdefault(stream, []).append(kept)
                if outbox:
                    assert kept.position is not None
                    self._outbox[kept.id] = OutboxEntry(
                        event_id=kept.id,
                        position=kept.position,
                        event_type=kept.type,
                        status=OutboxStatus.PENDING,
                        attempts=0,
                        last_error=None,
                        updated_at=datetime.now(UTC),
                    )
                stored.append(kept)
            return stored

    async def get(self, event_id: uuid.UUID) -> Event | None:
        return self._by_id.get(event_id)

    async def get_with_outbox(self, event_id: uuid.UUID) -> tuple[Event | None, OutboxEntry | None]:
        return self._by_id.get(event_id), self._outbox.get(event_id)

    async def find_by_idempotency_key(self, key: str) -> Event | None:
        return self._by_key.get(key)

    async def read_stream(self, stream: str, *, from_version: int = 1) -> list[Event]:
        return self._streams.get(stream, [])[max(from_version, 1) - 1 :]

    async def read_all(
        self, *, after: int = 0, limit: int = 1000, types: Sequence[str] | None = None
    ) -> list[Event]:
        wanted = set(types) if types else None
        found = [e for e in self._events[after:] if wanted is None or e.type in wanted]
        return found[:limit]

    async def read_latest(
        self, limit: int, *, types: Sequence[str] | None = None, stream: str | None = None
    ) -> list[Event]:
        wanted = set(types) if types else None
        found: list[Event] = []
        for event in reversed(self._events):
            if len(found) >= limit:
                break
            if (wanted is None or event.type in wanted) and stream in (None, event.stream):
                found.append(event)
        return found[::-1]

    async def count(self, *, types: Sequence[str] | None = None) -> int:
        if not types:
            return len(self._events)
        wanted = set(types)
        return sum(1 for e in self._events if e.type in wanted)

    async def count_by_type(self) -> dict[str, int]:
        return dict(sorted(Counter(e.type for e in self._events).items()))

    async def outbox_counts(self) -> dict[OutboxStatus, int]:
        return dict(Counter(e.status for e in self._outbox.values()))

    async def last_position(self) -> int:
        return len(self._events)

    async def load_checkpoint(self, subscriber: str) -> int:
        return self._checkpoints.get(subscriber, 0)

    async def save_checkpoint(self, subscriber: str, position: int) -> None:
        self._checkpoints[subscriber] = position

    async def outbox_pending(self, *, limit: int = 100) -> list[OutboxEntry]:
        return await self.outbox_list(OutboxStatus.PENDING, limit=limit)

    async def outbox_get(self, event_id: uuid.UUID) -> OutboxEntry | None:
        return self._outbox.get(event_id)

    async def outbox_mark(
        self,
        event_id: uuid.UUID,
        status: OutboxStatus,
        *,
        error: str | None = None,
        attempts: int | None = None,
        only_if: OutboxStatus | None = None,
    ) -> bool:
        entry = self._outbox.get(event_id)
        if entry is None or (only_if is not None and entry.status != only_if):
            return False
        self._outbox[event_id] = replace(
            entry,
            status=status,
            last_error=error,
            attempts=entry.attempts if attempts is None else attempts,
            updated_at=datetime.now(UTC),
        )
        return True

    async def outbox_mark_many(
        self,
        event_ids: Sequence[uuid.UUID],
        status: OutboxStatus,
        *,
        only_if: OutboxStatus | None = None,
        attempts: int | None = None,
    ) -> int:
        changed = 0
        for event_id in event_ids:
            entry = self._outbox.get(event_id)
            error = None if entry is None or status is OutboxStatus.DONE else entry.last_error
            changed += await self.outbox_mark(
                event_id, status, only_if=only_if, attempts=attempts, error=error
            )
        return changed

    async def outbox_revive(self, event_id: uuid.UUID) -> bool:
        entry = self._outbox.get(event_id)
        if entry is None or entry.status is not OutboxStatus.DEAD:
            return False
        self._outbox[event_id] = replace(
            entry,
            status=OutboxStatus.PENDING,
            attempts=0,
            rounds=entry.rounds + 1,
            updated_at=datetime.now(UTC),
        )
        return True

    async def outbox_list(
        self,
        status: OutboxStatus,
        *,
        limit: int = 100,
        updated_before: datetime | None = None,
    ) -> list[OutboxEntry]:
        entries = sorted(
            (
                e
                for e in self._outbox.values()
                if e.status == status and (updated_before is None or e.updated_at < updated_before)
            ),
            key=lambda e: e.position,
        )
        return entries[:limit]

    async def close(self) -> None:
        return None
