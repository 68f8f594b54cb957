"""The in-process event bus and publisher: fan-out of events to subscribed handlers."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, runtime_checkable

from app.events.model import Event, EventMetadata

log = logging.getLogger(__name__)


@runtime_checkable
class EventHandler(Protocol):
    async def handle(self, event: Event) -> None: ...


HandlerFunction = Callable[[Event], Awaitable[None] | None]
Handler = EventHandler | HandlerFunction
ALL = "*"


class EventBus:
    """Delivers published events to subscribers on a background task, in publish order.

    A handler that raises is logged with the event id and does not stop the others: the bus is
    for in-process reactions; work that must not be lost goes through the store and the outbox.
    """

    def __init__(self, *, max_queued: int = 10_000) -> None:
        self._handlers: dict[str, list[Handler]] = {}
        self._queue: asyncio.Queue[Event] = asyncio.Queue(maxsize=max_queued)
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def start(self) -> None:
        if not self.running:
            self._task = asyncio.create_task(self._deliver_forever(), name="event-bus")

    async def stop(self) -> None:
        """Deliver what is queued, then stop."""
        if self._task is None:
            return
        await self._queue.join()
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        self._task = None

    def subscribe(self, event_type: str | None, handler: Handler) -> None:
        """Call `handler` for every event of `event_type` (None or "*": every event)."""
        self._handlers.setdefault(event_type or ALL, []).append(handler)

    def unsubscribe(self, event_type: str | None, handler: Handler) -> None:
        handlers = self._handlers.get(event_type or ALL, [])
        if handler in handlers:
            handlers.remove(handler)

    async def publish(self, event: Event) -> None:
        if self.running:
            await self._queue.put(event)
        else:
            await self.dispatch(event)

    async def dispatch(self, event: Event) -> None:
        """Run every matching handler for `event` now."""
        for handler in [*self._handlers.get(event.type, []), *self._handlers.get(ALL, [])]:
            try:
                await _call(handler, event)
            except Exception:
                log.exception(
                    "event handler failed", extra={"event_id": str(event.id), "type": event.type}
                )

    async def join(self) -> None:
        """Wait until every published event has been handled."""
        await self._queue.join()

    async def _deliver_forever(self) -> None:
        while True:
            event = await self._queue.get()
            try:
                await self.dispatch(event)
            finally:
                self._queue.task_done()


async def _call(handler: Handler, event: Event) -> None:
    if isinstance(handler, EventHandler):
        await handler.handle(event)
        return
    result = handler(event)
    if inspect.isawaitable(result):
        await result


class EventPublisher:
    """Builds events for one source and publishes them on a bus."""

    def __init__(self, bus: EventBus, source: str) -> None:
        self.bus = bus
        self.source = source

    async def publish(
        self,
        event_type: str,
        payload: dict[str, Any] | None = None,
        *,
        metadata: EventMetadata | None = None,
        stream: str = "",
    ) -> Event:
        event = Event(
            type=event_type,
            source=self.source,
            stream=stream,
            payload=payload or {},
            metadata=metadata or EventMetadata(),
        )
        await self.bus.publish(event)
        return event
