"""The in-process runner: the same job, retries, timeouts and dead letters as the arq worker."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from app.errors import PermanentError
from app.events import Event, EventStore, EventType, InMemoryEventStore, OutboxStatus
from workers.jobs import EventJob, JobOutcome, Router
from workers.queue import Handover, InProcessQueue
from workers.relay import OutboxRelay


@pytest.fixture
def store() -> EventStore:
    return InMemoryEventStore()


@pytest.fixture
def router() -> Router:
    return Router()


@pytest.fixture
async def queue(store: EventStore, router: Router) -> AsyncIterator[InProcessQueue]:
    job = EventJob(store, router, max_tries=3, timeout_seconds=0.5, retry_base_seconds=0.01)
    runner = InProcessQueue(job, concurrency=2)
    await runner.start()
    yield runner
    await runner.close()


async def deliver(store: EventStore, queue: InProcessQueue, kind: str = "t") -> Event:
    (event,) = await store.append("s", Event(type=kind, source="tests"), outbox=True)
    await OutboxRelay(store, queue).relay_pending()
    await queue.join()
    return event


async def test_handler_runs_and_the_outbox_says_done(
    store: EventStore, queue: InProcessQueue, router: Router
) -> None:
    seen: list[uuid.UUID] = []

    async def handler(event: Event) -> None:
        seen.append(event.id)

    router.on("t", handler)
    event = await deliver(store, queue)

    entry = await store.outbox_get(event.id)
    assert seen == [event.id]
    assert entry is not None and (entry.status, entry.attempts) == (OutboxStatus.DONE, 1)


async def test_transient_failure_is_retried_with_backoff(
    store: EventStore, queue: InProcessQueue, router: Router
) -> None:
    attempts: list[float] = []

    async def flaky(event: Event) -> None:
        attempts.append(asyncio.get_running_loop().time())
        if len(attempts) < 3:
            raise ConnectionError("GitHub answered 502")

    router.on("t", flaky)
    event = await deliver(store, queue)

    entry = await store.outbox_get(event.id)
    assert len(attempts) == 3
    assert attempts[2] - attempts[1] >= attempts[1] - attempts[0]  # the delay doubles
    assert entry is not None and entry.status is OutboxStatus.DONE


async def test_handler_that_keeps_failing_is_dead_lettered_and_recorded(
    store: EventStore, queue: InProcessQueue, router: Router
) -> None:
    async def broken(event: Event) -> None:
        raise RuntimeError("bug in handler")

    router.on("t", broken)
    event = await deliver(store, queue)

    entry = await store.outbox_get(event.id)
    (notice,) = await store.read_all(types=[EventType.JOB_DEAD_LETTERED])
    assert entry is not None
    assert (entry.status, entry.attempts) == (OutboxStatus.DEAD, 3)
    assert entry.last_error == "RuntimeError: bug in handler"
    assert notice.payload["event_id"] == str(event.id)
    assert notice.metadata.causation_id == event.id


async def test_permanent_error_is_dead_lettered_without_retrying(
    store: EventStore, queue: InProcessQueue, router: Router
) -> None:
    calls = 0

    async def refuses(event: Event) -> None:
        nonlocal calls
        calls += 1
        raise PermanentError("the payload names no repository")

    router.on("t", refuses)
    event = await deliver(store, queue)

    entry = await store.outbox_get(event.id)
    assert calls == 1
    assert entry is not None and entry.status is OutboxStatus.DEAD


async def test_slow_handler_times_out_and_counts_as_a_failure(
    store: EventStore, queue: InProcessQueue, router: Router
) -> None:
    async def hangs(event: Event) -> None:
        await asyncio.sleep(30)

    router.on("t", hangs)
    event = await deliver(store, queue)

    entry = await store.outbox_get(event.id)
    assert entry is not None
    assert (entry.status, entry.last_error) == (OutboxStatus.DEAD, "timed out")


async def test_revived_dead_letter_runs_again_and_succeeds(
    store: EventStore, queue: InProcessQueue, router: Router
) -> None:
    broken = True
    handled: list[uuid.UUID] = []

    async def handler(event: Event) -> None:
        if broken:
            raise RuntimeError("not yet")
        handled.append(event.id)

    router.on("t", handler)
    event = await deliver(store, queue)
    broken = False

    assert await store.outbox_revive(event.id)
    await OutboxRelay(store, queue).relay_pending()
    await queue.join()

    entry = await store.outbox_get(event.id)
    assert handled == [event.id]
    assert entry is not None and entry.status is OutboxStatus.DONE


async def test_job_for_a_finished_event_does_nothing(store: EventStore, router: Router) -> None:
    calls = 0

    async def handler(event: Event) -> None:
        nonlocal calls
        calls += 1

    router.on("t", handler)
    job = EventJob(store, router)
    (event,) = await store.append("s", Event(type="t", source="tests"), outbox=True)

    first = await job.run(event.id, 1)
    again = await job.run(event.id, 1)  # at-least-once delivery: the same job twice

    assert (first.outcome, again.outcome) == (JobOutcome.DONE, JobOutcome.SKIPPED)
    assert calls == 1


async def test_the_same_job_id_is_not_queued_twice(
    store: EventStore, queue: InProcessQueue, router: Router
) -> None:
    release = asyncio.Event()
    calls = 0

    async def handler(event: Event) -> None:
        nonlocal calls
        calls += 1
        await release.wait()

    router.on("t", handler)
    (event,) = await store.append("s", Event(type="t", source="tests"), outbox=True)
    await queue.enqueue(event.id)
    await queue.enqueue(event.id)
    await asyncio.sleep(0.05)
    release.set()
    await queue.join()

    assert calls == 1


async def test_stale_enqueued_entries_are_handed_over_again(
    store: EventStore, queue: InProcessQueue, router: Router
) -> None:
    from datetime import timedelta

    handled: list[uuid.UUID] = []

    async def handler(event: Event) -> None:
        handled.append(event.id)

    router.on("t", handler)
    (event,) = await store.append("s", Event(type="t", source="tests"), outbox=True)
    # the job was enqueued once, then lost with a Redis that kept nothing on disk
    await store.outbox_mark(event.id, OutboxStatus.ENQUEUED)
    relay = OutboxRelay(store, queue, requeue_after=timedelta(0))

    assert await relay.requeue_stale() == 1
    await queue.join()
    assert handled == [event.id]


async def test_log_lines_inside_a_job_carry_the_event_and_installation(
    store: EventStore, queue: InProcessQueue, router: Router, caplog: pytest.LogCaptureFixture
) -> None:
    import logging

    from app.events import EventMetadata
    from app.observability import ContextFilter

    handler_log = logging.getLogger("tests.handler")

    async def handler(event: Event) -> None:
        handler_log.info("working on it")

    router.on("t", handler)
    caplog.handler.addFilter(ContextFilter())
    caplog.set_level(logging.INFO, logger="tests.handler")
    metadata = EventMetadata(installation_id=42, delivery_id="d-9")
    (event,) = await store.append(
        "s", Event(type="t", source="tests", metadata=metadata), outbox=True
    )
    await OutboxRelay(store, queue).relay_pending()
    await queue.join()

    (record,) = [r for r in caplog.records if r.name == "tests.handler"]
    assert record.__dict__["event_id"] == str(event.id)
    assert record.__dict__["installation_id"] == 42
    assert record.__dict__["delivery_id"] == "d-9"


async def test_a_finished_job_is_refused_again_until_its_done_mark_is_written(
    store: EventStore, router: Router
) -> None:
    seen: list[uuid.UUID] = []

    async def handler(event: Event) -> None:
        seen.append(event.id)

    router.on("t", handler)
    job = EventJob(store, router, defer_done_marks=True)
    queue = InProcessQueue(job, concurrency=1)
    await queue.start()
    (event,) = await store.append("s", Event(type="t", source="tests"), outbox=True)
    await queue.enqueue_many([Handover.fresh(event)])
    await queue._queue.join()  # the job ran; its done mark waits to share a write

    # A relay pass that read the entry before it was marked hands the event over again.
    refused = await queue.enqueue_many([Handover(event.id, str(event.id))])
    await job.flush()
    again = await queue.enqueue_many([Handover(event.id, str(event.id))])
    await queue.join()
    await queue.close()

    entry = await store.outbox_get(event.id)
    assert (refused, again) == (0, 1)
    assert seen == [event.id]  # the later hand-over found the entry done and skipped it
    assert entry is not None and entry.status is OutboxStatus.DONE


async def test_closing_puts_unfinished_jobs_back_to_pending_for_the_next_start(
    store: EventStore, router: Router
) -> None:
    release = asyncio.Event()
    seen: list[uuid.UUID] = []

    async def slow(event: Event) -> None:
        await release.wait()
        seen.append(event.id)

    router.on("t", slow)
    first = InProcessQueue(EventJob(store, router), concurrency=1)
    await first.start()
    events = [(await store.append("s", Event(type="t", source="tests"), outbox=True))[0]]
    events += [(await store.append("s", Event(type="t", source="tests"), outbox=True))[0]]
    await OutboxRelay(store, first).relay_pending()  # both enqueued: one runs, one waits
    await asyncio.sleep(0.01)

    await first.close()  # the process stops with both unfinished

    entries = [await store.outbox_get(e.id) for e in events]
    assert all(e is not None and e.status is OutboxStatus.PENDING for e in entries)
    release.set()
    second = InProcessQueue(EventJob(store, router), concurrency=1)
    await second.start()
    await OutboxRelay(store, second).relay_pending()  # the next start's first pass
    await second.join()
    await second.close()
    assert sorted(seen) == sorted(e.id for e in events)
