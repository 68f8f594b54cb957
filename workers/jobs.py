"""The one job every queue runs: load a stored event, hand it to its handlers, record the
outcome in the outbox. Shared by the arq worker and the in-process runner."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum

from app.errors import PermanentError
from app.events.model import Event, EventType
from app.events.store import EventStore, OutboxStatus
from app.observability import JOB_SECONDS, JOBS, log_context

log = logging.getLogger(__name__)

EventHandlerFunction = Callable[[Event], Awaitable[None]]


class Router:
    """Which handlers act on which event types. Handlers must be idempotent: a job can run
    more than once (a worker dies after the handler, before the outbox says done)."""

    def __init__(self) -> None:
        self._routes: dict[str, list[EventHandlerFunction]] = {}

    def on(self, event_type: str, handler: EventHandlerFunction) -> None:
        """Route `event_type` ("*" for every event) to `handler`."""
        self._routes.setdefault(event_type, []).append(handler)

    def handlers_for(self, event_type: str) -> list[EventHandlerFunction]:
        return [*self._routes.get(event_type, []), *self._routes.get("*", [])]


class JobOutcome(StrEnum):
    DONE = "done"
    SKIPPED = "skipped"
    RETRY = "retry"
    DEAD = "dead"


@dataclass(frozen=True)
class JobResult:
    outcome: JobOutcome
    retry_in: float = 0.0
    error: str | None = None
    # A finished job that did not wait for its done mark: the mark's write, done once written.
    marked: asyncio.Future[None] | None = None


class OutboxMarks:
    """Outbox marks of one kind (a status, optionally only from another), sharing writes.

    Marks wait `delay` and go out together: at most one write per `delay` while they keep
    coming.
    `mark` returns a future that is done once the mark is written (or failed); `flush` writes
    whatever is waiting.
    """

    def __init__(
        self,
        store: EventStore,
        status: OutboxStatus,
        *,
        only_if: OutboxStatus | None = None,
        delay: float = 0.0,
        lost_warning: str = "could not write outbox marks",
    ) -> None:
        self.store = store
        self.status = status
        self.only_if = only_if
        self.delay = delay
        self.lost_warning = lost_warning
        self._waiting: dict[uuid.UUID, tuple[int | None, asyncio.Future[None]]] = {}
        self._writer: asyncio.Task[None] | None = None

    def mark(self, event_id: uuid.UUID, attempts: int | None = None) -> asyncio.Future[None]:
        written: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting[event_id] = (attempts, written)
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_waiting(self.delay))
        return written

    def mark_unawaited(
        self, event_id: uuid.UUID, attempts: int | None = None
    ) -> asyncio.Future[None]:
        """`mark`, for a caller that does not wait for the write: a failed write is logged, and
        the entry is left for the relay to hand over again."""
        written = self.mark(event_id, attempts)
        written.add_done_callback(self._log_lost)
        return written

    def _log_lost(self, written: asyncio.Future[None]) -> None:
        if not written.cancelled() and written.exception() is not None:
            log.warning(self.lost_warning, extra={"error": repr(written.exception())})

    async def flush(self) -> None:
        if self._writer is not None:
            await self._writer
        await self._write_waiting(0)

    async def _write_waiting(self, delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)
        while self._waiting:
            batch, self._waiting = self._waiting, {}
            by_attempts: dict[int | None, list[uuid.UUID]] = {}
            for event_id, (attempts, _) in batch.items():
                by_attempts.setdefault(attempts, []).append(event_id)
            failure: Exception | None = None
            try:
                for attempts, event_ids in by_attempts.items():
                    await self.store.outbox_mark_many(
                        event_ids, self.status, only_if=self.only_if, attempts=attempts
                    )
            except Exception as error:
                failure = error
            for _, written in batch.values():
                if written.done():
                    continue
                if failure is None:
                    written.set_result(None)
                else:
                    written.set_exception(failure)
            if delay and self._waiting:
                # Marks kept arriving during the write: they wait their interval too, so a
                # steady stream costs one write per `delay`, not one per write's duration.
                await asyncio.sleep(delay)


class EventJob:
    """Runs the handlers for one event with a timeout; decides retry or dead letter.

    With `defer_done_marks` a finished job does not wait for its outbox mark, and the marks of
    a 50 ms interval share one write. Only for a queue that refuses a finished job again by its
    id until its mark is written (arq keeps the job's result for an hour; the in-process queue
    keeps the id until `JobResult.marked` is done): a relay pass that meets the entry not yet
    marked hands it over again, and the queue absorbs it. Delivery stays at least once: a mark
    lost with the worker leaves the entry for the relay, as a crash always did.
    """

    def __init__(
        self,
        store: EventStore,
        router: Router,
        *,
        max_tries: int = 5,
        timeout_seconds: float = 300.0,
        retry_base_seconds: float = 1.0,
        defer_done_marks: bool = False,
    ) -> None:
        self.store = store
        self.router = router
        self.max_tries = max_tries
        self.timeout_seconds = timeout_seconds
        self.retry_base_seconds = retry_base_seconds
        self.defer_done_marks = defer_done_marks
        self._done = OutboxMarks(
            store,
            OutboxStatus.DONE,
            delay=0.05 if defer_done_marks else 0.0,
            lost_warning="could not mark a finished job done; the relay will hand it over again",
        )

    async def run(self, event_id: uuid.UUID, attempt: int, event: Event | None = None) -> JobResult:
        """Attempt number `attempt` (from 1) at handling the event.

        `event` is the event as handed over fresh from the webhook: its outbox entry was
        written pending a moment ago, so a first attempt runs it without reading either back.
        Any other attempt reads both, and skips an event already done or dead-lettered.
        """
        started = time.perf_counter()
        with log_context(event_id=str(event_id), attempt=attempt):
            result, event_type = await self._attempt(
                event_id, attempt, event if attempt == 1 else None
            )
        JOBS.labels(result.outcome.value).inc()
        if event_type is not None:
            JOB_SECONDS.labels(event_type).observe(time.perf_counter() - started)
        return result

    async def flush(self) -> None:
        """Write the outbox marks of the jobs finished so far."""
        await self._done.flush()

    async def _attempt(
        self, event_id: uuid.UUID, attempt: int, event: Event | None
    ) -> tuple[JobResult, str | None]:
        if event is None:
            event, entry = await self.store.get_with_outbox(event_id)
            if entry is not None and entry.status in (OutboxStatus.DONE, OutboxStatus.DEAD):
                return JobResult(JobOutcome.SKIPPED), None
            if event is None:
                log.error("job for an event that is not stored")
                return JobResult(JobOutcome.SKIPPED), None
        extra = {"type": event.type}
        try:
            with log_context(
                installation_id=event.metadata.installation_id,
                delivery_id=event.metadata.delivery_id,
            ):
                async with asyncio.timeout(self.timeout_seconds):
                    for handler in self.router.handlers_for(event.type):
                        await handler(event)
        except Exception as error:
            reason = _describe(error)
            permanent = isinstance(error, PermanentError)
            if attempt < self.max_tries and not permanent:
                delay = self.retry_base_seconds * 2 ** (attempt - 1)
                log.warning("handler failed; will retry", extra={**extra, "error": reason})
                await self.store.outbox_mark(
                    event_id, OutboxStatus.ENQUEUED, error=reason, attempts=attempt
                )
                return JobResult(JobOutcome.RETRY, retry_in=delay, error=reason), event.type
            log.error("handler failed for good; dead-lettered", extra={**extra, "error": reason})
            await self._dead_letter(event, attempt, reason)
            return JobResult(JobOutcome.DEAD, error=reason), event.type
        if self.defer_done_marks:
            return JobResult(
                JobOutcome.DONE, marked=self._done.mark_unawaited(event_id, attempt)
            ), event.type
        await self._done.mark(event_id, attempt)
        return JobResult(JobOutcome.DONE), event.type

    async def _dead_letter(self, event: Event, attempt: int, reason: str) -> None:
        # The notice first: once the entry reads dead its notice is in the log. A crash between
        # the two leaves the entry to be run again (and maybe noticed twice), never unnoticed.
        notice = event.caused(
            EventType.JOB_DEAD_LETTERED,
            "workers",
            {
                "event_id": str(event.id),
                "event_type": event.type,
                "attempts": attempt,
                "error": reason,
            },
        )
        await self.store.append("jobs/dead-letters", notice)
        await self.store.outbox_mark(event.id, OutboxStatus.DEAD, error=reason, attempts=attempt)


def _describe(error: BaseException) -> str:
    if isinstance(error, TimeoutError):
        return "timed out"
    return f"{type(error).__name__}: {error}"[:2000]
