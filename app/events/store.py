"""The event-store port: one interface that every backend implements and one test suite checks."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from app.errors import ConflictError
from app.events.model import Event

ANY_VERSION: int | None = None


class ConcurrencyError(ConflictError):
    """The stream was not at the version the writer expected."""

    def __init__(self, stream: str, expected: int, actual: int) -> None:
        super().__init__(f"stream {stream!r} is at version {actual}, expected {expected}")
        self.stream = stream
        self.expected = expected
        self.actual = actual


class DuplicateEventError(ConflictError):
    """An event with the same idempotency key is stored already."""

    def __init__(self, key: str, existing: Event) -> None:
        super().__init__(f"an event with idempotency key {key!r} is stored already")
        self.key = key
        self.existing = existing


class OutboxStatus(StrEnum):
    PENDING = "pending"
    ENQUEUED = "enqueued"
    DONE = "done"
    DEAD = "dead"


@dataclass(frozen=True)
class OutboxEntry:
    """Delivery state of one stored event on its way to the workers."""

    event_id: uuid.UUID
    position: int
    event_type: str
    status: OutboxStatus
    attempts: int
    last_error: str | None
    updated_at: datetime
    rounds: int = 0

    @property
    def job_id(self) -> str:
        """The queue's de-duplication key: one job per event per round of retries."""
        return str(self.event_id) if self.rounds == 0 else f"{self.event_id}:r{self.rounds}"


class EventStore(Protocol):
    async def append(
        self,
        stream: str,
        events: Event | Sequence[Event],
        *,
        expected_version: int | None = ANY_VERSION,
        outbox: bool = False,
    ) -> list[Event]:
        """Store events at the end of `stream`; returns them with position and version set.

        `expected_version` None accepts any version, 0 requires a new stream. With `outbox`,
        each event also gets a pending outbox row in the same transaction.
        """
        ...

    async def get(self, event_id: uuid.UUID) -> Event | None: ...

    async def get_with_outbox(self, event_id: uuid.UUID) -> tuple[Event | None, OutboxEntry | None]:
        """The event and its outbox entry in one read (what a job needs before it starts)."""
        ...

    async def find_by_idempotency_key(self, key: str) -> Event | None: ...

    async def read_stream(self, stream: str, *, from_version: int = 1) -> list[Event]: ...

    async def read_all(
        self, *, after: int = 0, limit: int = 1000, types: Sequence[str] | None = None
    ) -> list[Event]:
        """Events with position > `after`, in position order."""
        ...

    async def read_latest(
        self, limit: int, *, types: Sequence[str] | None = None, stream: str | None = None
    ) -> list[Event]:
        """The newest `limit` events (of `types`, in `stream`, when given), oldest first."""
        ...

    async def count(self, *, types: Sequence[str] | None = None) -> int: ...

    async def count_by_type(self) -> dict[str, int]:
        """How many events of each type are stored."""
        ...

    async def outbox_counts(self) -> dict[OutboxStatus, int]:
        """How many outbox entries are in each state (states with none are left out)."""
        ...

    async def last_position(self) -> int: ...

    async def load_checkpoint(self, subscriber: str) -> int: ...

    async def save_checkpoint(self, subscriber: str, position: int) -> None: ...

    async def outbox_pending(self, *, limit: int = 100) -> list[OutboxEntry]: ...

    async def outbox_get(self, event_id: uuid.UUID) -> OutboxEntry | None: ...

    async def outbox_mark(
        self,
        event_id: uuid.UUID,
        status: OutboxStatus,
        *,
        error: str | None = None,
        attempts: int | None = None,
        only_if: OutboxStatus | None = None,
    ) -> bool:
        """Set the entry's status (only when it is `only_if`, if given); True if it changed."""
        ...

    async def outbox_mark_many(
        self,
        event_ids: Sequence[uuid.UUID],
        status: OutboxStatus,
        *,
        only_if: OutboxStatus | None = None,
        attempts: int | None = None,
    ) -> int:
        """`outbox_mark` for many entries in one write; returns how many changed. Entries keep
        their last error, except those marked done."""
        ...

    async def outbox_revive(self, event_id: uuid.UUID) -> bool:
        """Give a dead-lettered event a new round: pending again, attempts from zero."""
        ...

    async def outbox_list(
        self,
        status: OutboxStatus,
        *,
        limit: int = 100,
        updated_before: datetime | None = None,
    ) -> list[OutboxEntry]: ...

    async def close(self) -> None: ...
