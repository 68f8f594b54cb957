"""The outbox relay: hands stored events to the queue, and again after anything went wrong."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta

from app.events.model import Event
from app.events.store import EventStore, OutboxEntry, OutboxStatus
from app.observability import LOST_JOBS_REQUEUED, QUEUE_RECONNECTS
from workers.broker import Backoff, describe
from workers.jobs import OutboxMarks
from workers.queue import Handover, JobQueue

log = logging.getLogger(__name__)


class OutboxRelay:
    """Moves pending outbox entries onto the queue.

    A webhook hands its event over itself right after it commits (`hand_over_new`), so the
    usual hand-over costs no polling delay; the periodic pass recovers everything else:
    entries still pending after `grace` (a hand-over that failed or died with its process),
    everything at once when nudged or while the queue is failing, and entries enqueued whose
    job was lost: all of them as soon as the queue says it may have lost jobs (Redis restarted
    without persistence), and any enqueued long ago (the sweep behind everything else).
    Re-enqueueing is safe: the job id de-duplicates and handlers are idempotent. While the
    queue is down, passes back off up to `max_backoff`, so hand-overs resume within that of
    its return.
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
        mark_delay: float = 0.05,
        grace: timedelta = timedelta(seconds=2),
        max_backoff: float = 2.0,
        lost_jobs_grace: float = 5.0,
    ) -> None:
        self.store = store
        self.queue = queue
        self.poll_seconds = poll_seconds
        self.requeue_after = requeue_after
        self.batch_size = batch_size
        self.hand_over_timeout = hand_over_timeout
        self.mark_delay = mark_delay
        self.grace = grace
        self.max_backoff = max_backoff
        self.lost_jobs_grace = lost_jobs_grace
        self._requeue_lost = False
        self._to_enqueue: list[Event] = []
        self._enqueuing: asyncio.Task[None] | None = None
        # Nothing waits for these marks (a relay pass only enqueues again, which the job id
        # absorbs), so a stream of hand-overs shares one write per `mark_delay`.
        # A lost mark leaves the entry pending: the next relay pass enqueues it again, and the
        # job id absorbs it.
        self._marks = OutboxMarks(
            store,
            OutboxStatus.ENQUEUED,
            only_if=OutboxStatus.PENDING,
            delay=mark_delay,
            lost_warning="could not mark events enqueued",
        )
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.queue_available = True

    def nudge(self) -> None:
        """Something new is pending: relay it now rather than at the next poll. A writer of
        outbox rows other than `hand_over_new` nudges, or its rows wait for `grace`."""
        self._wake.set()

    async def hand_over_new(self, event: Event) -> None:
        """Enqueue a just-stored event at once, so the handler does not wait for a relay pass.

        Returns once the hand-over has started; the webhook does not wait for it to finish:
        its event and outbox entry are committed, which is what its 202 promises. Events
        stored while one hand-over is under way go together in the next (one queue call for a
        burst), with the event itself, so the worker need not read it back. Bounded: on a
        queue that is down or slow the events simply stay pending for the relay loop. The
        outbox is marked in the background; until then a relay pass may enqueue an event
        again, which the job id absorbs.
        """
        if not self.queue_available:
            self.nudge()
            return
        self._to_enqueue.append(event)
        if self._enqueuing is None or self._enqueuing.done():
            self._enqueuing = asyncio.create_task(self._enqueue_new())
            # One turn of the loop lets the hand-over send its request before the webhook
            # answers, so the worker is already on its way when the 202 goes out.
            await asyncio.sleep(0)

    async def _enqueue_new(self) -> None:
        while self._to_enqueue:
            batch, self._to_enqueue = self._to_enqueue, []
            try:
                async with asyncio.timeout(self.hand_over_timeout):
                    await self.queue.enqueue_many([Handover.fresh(event) for event in batch])
            except Exception as error:
                log.debug("hand-over failed; left to the relay", extra={"error": repr(error)})
                self.nudge()
                continue
            for event in batch:
                self._marks.mark_unawaited(event.id)

    async def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        if self._enqueuing is not None:
            await asyncio.gather(self._enqueuing, return_exceptions=True)
        await self._marks.flush()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def relay_pending(self, *, settled_for: timedelta = timedelta(0)) -> int:
        """Enqueue pending entries until none are left or the queue fails; returns how many.

        `settled_for` leaves out entries written more recently than that: the webhook that
        wrote them is handing them over itself, and their job may finish before its mark."""
        relayed = 0
        while True:
            before = datetime.now(UTC) - settled_for if settled_for else None
            entries = await self.store.outbox_list(
                OutboxStatus.PENDING, limit=self.batch_size, updated_before=before
            )
            if not entries:
                return relayed
            await self._hand_over(entries, OutboxStatus.PENDING)
            relayed += len(entries)
            if len(entries) < self.batch_size:
                return relayed

    async def requeue_stale(self) -> int:
        """Enqueue again entries marked enqueued long ago and never finished."""
        before = datetime.now(UTC) - self.requeue_after
        stale = await self.store.outbox_list(
            OutboxStatus.ENQUEUED, limit=self.batch_size, updated_before=before
        )
        if stale:
            await self._hand_over(stale, OutboxStatus.ENQUEUED)
        return len(stale)

    async def requeue_lost(self) -> int:
        """Hand over again every entry marked enqueued, after the queue lost jobs; returns how
        many jobs were missing.

        Enqueueing skips the jobs still there. The others wait `lost_jobs_grace` before a
        worker may start them: a worker still running one lost its claim with Redis, and takes
        it again once it reconnects (`WakeableWorker`), so it does not run twice at once."""
        before = datetime.now(UTC)
        missing = 0
        while True:
            # Each page is marked again below (its updated_at moves past `before`): the next
            # read starts after it.
            entries = await self.store.outbox_list(
                OutboxStatus.ENQUEUED, limit=self.batch_size, updated_before=before
            )
            if not entries:
                break
            missing += await self._hand_over(
                entries, OutboxStatus.ENQUEUED, delay=self.lost_jobs_grace
            )
            if len(entries) < self.batch_size:
                break
        LOST_JOBS_REQUEUED.inc(missing)
        if missing:
            log.info("jobs lost with Redis handed over again", extra={"jobs": missing})
        return missing

    async def _hand_over(
        self, entries: list[OutboxEntry], current: OutboxStatus, *, delay: float = 0.0
    ) -> int:
        added = await self.queue.enqueue_many(
            [Handover(e.event_id, e.job_id, delay=delay) for e in entries]
        )
        # Conditional: a fast worker may have finished some of them already.
        await self.store.outbox_mark_many(
            [e.event_id for e in entries], OutboxStatus.ENQUEUED, only_if=current
        )
        return added

    async def _run(self) -> None:
        backoff = Backoff(self.poll_seconds, max(self.max_backoff, self.poll_seconds))
        delay = self.poll_seconds
        passes = 0
        # The first pass, a nudged one (a hand-over failed, a dead letter was revived) and any
        # pass while the queue is failing take every pending entry; the routine ones leave the
        # fresh ones to the hand-over that is under way.
        urgent = True
        while True:
            try:
                # Asked every pass: it also tells whether the queue answers at all.
                if await self.queue.lost_jobs():
                    self._requeue_lost = True
                if self._requeue_lost:
                    await self.requeue_lost()
                    self._requeue_lost = False
                settled_for = timedelta(0) if urgent or not self.queue_available else self.grace
                await self.relay_pending(settled_for=settled_for)
                if passes % 30 == 0:
                    await self.requeue_stale()
                passes += 1
                if not self.queue_available:
                    QUEUE_RECONNECTS.labels("server").inc()
                    log.info("queue reachable again; outbox relayed")
                self.queue_available = True
                backoff.reset()
                delay = self.poll_seconds
            except Exception as error:
                if self.queue_available:
                    log.warning(
                        "cannot hand events to the queue; they stay in the outbox",
                        extra={"error": describe(error)},
                    )
                self.queue_available = False
                delay = backoff.next()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=delay)
            urgent = self._wake.is_set()
            self._wake.clear()
