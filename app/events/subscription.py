"""Catch-up subscriptions: follow the whole log from a stored checkpoint, each event once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence

from app.events.model import Event
from app.events.store import EventStore

log = logging.getLogger(__name__)


class CatchUpSubscription:
    """Reads events after the subscriber's checkpoint, hands each to `handler`, then saves the
    checkpoint. A crash between handling and saving replays that event: handlers are idempotent.
    """

    def __init__(
        self,
        store: EventStore,
        name: str,
        handler: Callable[[Event], Awaitable[None]],
        *,
        types: Sequence[str] | None = None,
        batch_size: int = 500,
    ) -> None:
        self.store = store
        self.name = name
        self.handler = handler
        self.types = list(types) if types else None
        self.batch_size = batch_size

    async def catch_up(self) -> int:
        """Handle everything stored so far; returns how many events were handled."""
        handled = 0
        position = await self.store.load_checkpoint(self.name)
        while True:
            batch = await self.store.read_all(after=position, limit=self.batch_size)
            if not batch:
                return handled
            for event in batch:
                if self.types is None or event.type in self.types:
                    await self.handler(event)
                    handled += 1
                assert event.position is not None
                position = event.position
            await self.store.save_checkpoint(self.name, position)

    async def run(self, *, poll_seconds: float = 0.5, stop: asyncio.Event | None = None) -> None:
        """Keep catching up until `stop` is set."""
        stop = stop or asyncio.Event()
        while not stop.is_set():
            try:
                await self.catch_up()
            except Exception:
                log.exception("subscription failed; retrying", extra={"subscriber": self.name})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=poll_seconds)
