"""The outbox relay: hands stored events to the queue, and again after anything went wrong."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from datetime import UTC, datetime, timedelta

from app.events.store import EventStore, OutboxEntry, OutboxStatus
from workers.queue import JobQueue

log = logging.getLogger(__name__)


class OutboxRelay:
    """Moves pending outbox entries onto the queue.

    A webhook nudges the relay right after its event commits, so the usual hand-over costs no
    polling delay; the periodic pass recovers everything else: entries left pending while the
    queue was down, and entries enqueued long ago whose job was lost (Redis restarted without
    persistence). Re-enqueueing is safe: the job id de-duplicates and handlers are idempotent.
    """

    def __init__(
        self,
        store: EventStore,
        queue: JobQueue,
        *,
        poll_seconds: float = 1.0,
        requeue_after: timedelta = timedelta(minutes=5),
        batch_size: int = 200,
        hand_over_timeout: float = 0.25,
    ) -> None:
        self.store = store
        self.queue = queue
        self.poll_seconds = poll_seconds
        self.requeue_after = requeue_after
        self.batch_size = batch_size
        self.hand_over_timeout = hand_over_timeout
        self._to_mark: set[uuid.UUID] = set()
        self._marking: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.queue_available = True

    def nudge(self) -> None:
        """Something new is pending: relay it now rather than at the next poll."""
        self._wake.set()

    async def hand_over_new(self, event_id: uuid.UUID) -> None:
        """Enqueue a just-stored event at once, so the handler does not wait for a relay pass.

        Bounded: a queue that is down or slow must not hold up the webhook's answer, so on any
        failure the event simply stays pending for the relay loop. The outbox is marked in the
        background; until then a relay pass may enqueue it again, which the job id absorbs.
        """
        if not self.queue_available:
            self.nudge()
            return
        try:
            async with asyncio.timeout(self.hand_over_timeout):
                await self.queue.enqueue(event_id, job_id=str(event_id))
        except Exception:
            self.nudge()
            return
        self._to_mark.add(event_id)
        if self._marking is None or self._marking.done():
            self._marking = asyncio.create_task(self._mark_enqueued())

    async def _mark_enqueued(self) -> None:
        # Marks accumulate while one write is under way and go out together in the next, so a
        # burst of webhooks costs a few writes rather than one each.
        while self._to_mark:
            batch = list(self._to_mark)
            self._to_mark.clear()
            try:
                await self.store.outbox_mark_many(
                    batch, OutboxStatus.ENQUEUED, only_if=OutboxStatus.PENDING
                )
            except Exception as error:
                # They stay pending: the next relay pass enqueues them again, the job id absorbs it.
                log.warning("could not mark events enqueued", extra={"error": repr(error)})

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        if self._marking is not None:
            await asyncio.gather(self._marking, return_exceptions=True)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def relay_pending(self) -> int:
        """Enqueue pending entries until none are left or the queue fails; returns how many."""
        relayed = 0
        while True:
            entries = await self.store.outbox_pending(limit=self.batch_size)
            if not entries:
                return relayed
            for entry in entries:
                await self._hand_over(entry, OutboxStatus.PENDING)
                relayed += 1
            if len(entries) < self.batch_size:
                return relayed

    async def requeue_stale(self) -> int:
        """Enqueue again entries marked enqueued long ago and never finished."""
        before = datetime.now(UTC) - self.requeue_after
        stale = await self.store.outbox_list(
            OutboxStatus.ENQUEUED, limit=self.batch_size, updated_before=before
        )
        for entry in stale:
            await self._hand_over(entry, OutboxStatus.ENQUEUED)
        return len(stale)

    async def _hand_over(self, entry: OutboxEntry, current: OutboxStatus) -> None:
        await self.queue.enqueue(entry.event_id, job_id=entry.job_id)
        # Conditional: a fast worker may have finished the job already.
        await self.store.outbox_mark(
            entry.event_id, OutboxStatus.ENQUEUED, only_if=current, error=entry.last_error
        )

    async def _run(self) -> None:
        backoff = self.poll_seconds
        passes = 0
        while True:
            try:
                await self.relay_pending()
                if passes % 30 == 0:
                    await self.requeue_stale()
                passes += 1
                if not self.queue_available:
                    log.info("queue reachable again; outbox relayed")
                self.queue_available = True
                backoff = self.poll_seconds
            except Exception as error:
                if self.queue_available:
                    log.warning(
                        "cannot hand events to the queue; they stay in the outbox",
                        extra={"error": f"{type(error).__name__}: {error}"},
                    )
                self.queue_available = False
                backoff = min(backoff * 2, 30.0)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=backoff)
            self._wake.clear()
