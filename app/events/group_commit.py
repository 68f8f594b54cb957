"""Group commit for the SQL event store: concurrent single-event appends share a transaction.

Appends are serialised (the PostgreSQL advisory lock; one writer on SQLite), so each one's
commit — a disk flush — would otherwise be paid one after another. Appends that arrive while a
group is being written wait and go out together in the next one: under load, one flush serves
many webhooks; alone, an append is written at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from app.events.model import Event
from app.events.store import DuplicateEventError


@dataclass
class PendingAppend:
    stream: str
    event: Event
    outbox: bool
    done: asyncio.Future[Event] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


# Writes one group in one transaction; returns, per append and in order, the stored event or the
# DuplicateEventError that refuses it.
WriteGroup = Callable[[Sequence[PendingAppend]], Awaitable[list[Event | DuplicateEventError]]]


class GroupCommitter:
    def __init__(self, write_group: WriteGroup, *, max_group: int = 256) -> None:
        self._write_group = write_group
        self._max_group = max_group
        self._waiting: list[PendingAppend] = []
        self._writer: asyncio.Task[None] | None = None

    async def append(self, stream: str, event: Event, outbox: bool) -> Event:
        pending = PendingAppend(stream, event, outbox)
        self._waiting.append(pending)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_waiting())
        # Shielded: a caller that gives up (a client hanging up) must not cancel the group.
        return await asyncio.shield(pending.done)

    async def _write_waiting(self) -> None:
        while self._waiting:
            group = self._waiting[: self._max_group]
            del self._waiting[: len(group)]
            try:
                outcomes = await self._write_group(group)
            except BaseException as error:
                for pending in group:
                    if not pending.done.done():
                        pending.done.set_exception(error)
                if not isinstance(error, Exception):
                    raise
                continue
            for pending, outcome in zip(group, outcomes, strict=True):
                if isinstance(outcome, DuplicateEventError):
                    pending.done.set_exception(outcome)
                else:
                    pending.done.set_result(outcome)
