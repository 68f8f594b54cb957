"""Handing events to the workers: fresh events travel with their job, bursts share calls."""

from __future__ import annotations

import asyncio
import pickle
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from typing import Any

import pytest
import redis
from arq.constants import job_key_prefix, result_key_prefix
from arq.jobs import Job, JobStatus, deserialize_result, serialize_result

from app.events import Event, EventMetadata, EventStore, InMemoryEventStore, OutboxStatus
from app.services import open_services
from tests.workers.test_arq import isolated, wait_for
from workers.arq_worker import build_worker, handle_event, serialize_without_event
from workers.jobs import EventJob, JobOutcome, OutboxMarks, Router
from workers.queue import HANDLE_EVENT, ArqQueue, CarriedEvent, Handover, wake_key
from workers.relay import OutboxRelay


class CountingStore(InMemoryEventStore):
    """The in-memory store, counting reads of single events and batched outbox writes."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0
        self.mark_writes: list[list[uuid.UUID]] = []

    async def get_with_outbox(self, event_id: uuid.UUID) -> Any:
        self.reads += 1
        return await super().get_with_outbox(event_id)

    async def outbox_mark_many(
        self, event_ids: Sequence[uuid.UUID], status: OutboxStatus, **options: Any
    ) -> int:
        self.mark_writes.append(list(event_ids))
        await asyncio.sleep(0.01)  # a write takes a while; marks arriving meanwhile wait
        return await super().outbox_mark_many(event_ids, status, **options)


class RecordingQueue:
    """A queue that records each call, and can be made to hang like an unreachable Redis."""

    def __init__(self) -> None:
        self.calls: list[list[Handover]] = []
        self.hang = asyncio.Event()
        self.hang.set()

    async def enqueue(self, event_id: uuid.UUID, *, job_id: str | None = None) -> None:
        await self.enqueue_many([Handover(event_id, job_id or str(event_id))])

    async def enqueue_many(self, handovers: Sequence[Handover]) -> int:
        self.calls.append(list(handovers))
        await self.hang.wait()
        await asyncio.sleep(0.01)
        return len(handovers)

    async def ping(self) -> bool:
        return True

    async def lost_jobs(self) -> bool:
        return False

    async def close(self) -> None:
        return None


async def stored(store: EventStore, count: int) -> list[Event]:
    events = []
    for n in range(count):
        (event,) = await store.append(f"s-{n}", Event(type="t", source="tests"), outbox=True)
        events.append(event)
    return events


def recording_router() -> tuple[Router, list[Event]]:
    """A router whose one handler, for type "t", records the events it is given."""
    seen: list[Event] = []
    router = Router()

    async def handler(event: Event) -> None:
        seen.append(event)

    router.on("t", handler)
    return router, seen


async def test_a_fresh_event_runs_without_being_read_back() -> None:
    store = CountingStore()
    router, seen = recording_router()
    (event,) = await stored(store, 1)

    result = await EventJob(store, router).run(event.id, 1, event)

    entry = await store.outbox_get(event.id)
    assert result.outcome is JobOutcome.DONE
    assert seen == [event] and store.reads == 0
    assert entry is not None and (entry.status, entry.attempts) == (OutboxStatus.DONE, 1)


async def test_a_retry_reads_the_event_back_and_skips_it_when_done() -> None:
    store = CountingStore()
    router = Router()
    calls = 0

    async def handler(event: Event) -> None:
        nonlocal calls
        calls += 1

    router.on("t", handler)
    (event,) = await stored(store, 1)
    job = EventJob(store, router)
    await job.run(event.id, 1, event)

    again = await job.run(event.id, 2, event)

    assert again.outcome is JobOutcome.SKIPPED
    assert (calls, store.reads) == (1, 1)


async def test_jobs_finishing_together_share_their_done_writes() -> None:
    store = CountingStore()
    events = await stored(store, 20)
    marks = OutboxMarks(store, OutboxStatus.DONE)

    first = marks.mark(events[0].id, 1)
    await asyncio.sleep(0.001)  # its write is under way
    rest = [marks.mark(event.id, 1) for event in events[1:]]
    await asyncio.gather(first, *rest)

    entries = [await store.outbox_get(event.id) for event in events]
    assert all(e is not None and e.status is OutboxStatus.DONE for e in entries)
    # the first mark goes out alone; the other 19 arrive while it is written, and go together
    assert [len(ids) for ids in store.mark_writes] == [1, 19]


async def test_a_steady_stream_of_delayed_marks_costs_one_write_per_interval() -> None:
    store = CountingStore()  # each write takes 10 ms
    events = await stored(store, 60)
    marks = OutboxMarks(store, OutboxStatus.ENQUEUED, delay=0.1)

    written = []
    for event in events:  # one mark every 5 ms for 0.3 s
        written.append(marks.mark(event.id))
        await asyncio.sleep(0.005)
    await asyncio.gather(*written)

    entries = [await store.outbox_get(event.id) for event in events]
    assert all(e is not None and e.status is OutboxStatus.ENQUEUED for e in entries)
    # Written back to back, they would take a write every 10 ms (about 30); a write per 0.1 s
    # interval is 3 or 4, fewer on a slow machine.
    assert len(store.mark_writes) <= 5
    assert sorted(i for ids in store.mark_writes for i in ids) == sorted(e.id for e in events)


async def test_a_failed_done_write_fails_every_job_waiting_on_it() -> None:
    class BrokenStore(CountingStore):
        async def outbox_mark_many(
            self, event_ids: Sequence[uuid.UUID], status: OutboxStatus, **options: Any
        ) -> int:
            raise ConnectionError("database went away")

    store = BrokenStore()
    events = await stored(store, 3)
    marks = OutboxMarks(store, OutboxStatus.DONE)

    outcomes = await asyncio.gather(*(marks.mark(e.id, 1) for e in events), return_exceptions=True)

    assert all(isinstance(outcome, ConnectionError) for outcome in outcomes)


async def test_deferred_done_marks_do_not_hold_the_job_and_share_one_write() -> None:
    store = CountingStore()
    router = Router()
    router.on("t", lambda event: asyncio.sleep(0))
    job = EventJob(store, router, defer_done_marks=True)
    events = await stored(store, 10)

    for event in events:
        assert (await job.run(event.id, 1, event)).outcome is JobOutcome.DONE
    unmarked = [await store.outbox_get(e.id) for e in events]
    await job.flush()

    assert all(e is not None and e.status is OutboxStatus.PENDING for e in unmarked)
    assert [sorted(ids) for ids in store.mark_writes] == [sorted(e.id for e in events)]
    entries = [await store.outbox_get(e.id) for e in events]
    assert all(e is not None and e.status is OutboxStatus.DONE for e in entries)


async def test_a_lost_deferred_mark_is_logged_and_leaves_the_entry_for_the_relay(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class BrokenStore(CountingStore):
        async def outbox_mark_many(
            self, event_ids: Sequence[uuid.UUID], status: OutboxStatus, **options: Any
        ) -> int:
            raise ConnectionError("database went away")

    store = BrokenStore()
    router = Router()
    router.on("t", lambda event: asyncio.sleep(0))
    job = EventJob(store, router, defer_done_marks=True)
    (event,) = await stored(store, 1)

    result = await job.run(event.id, 1, event)
    await job.flush()
    await asyncio.sleep(0)  # the lost mark's callback

    entry = await store.outbox_get(event.id)
    assert result.outcome is JobOutcome.DONE
    assert entry is not None and entry.status is OutboxStatus.PENDING
    assert "could not mark a finished job done" in caplog.text


async def test_the_webhook_does_not_wait_for_the_queue_and_a_burst_shares_one_call() -> None:
    store = InMemoryEventStore()
    queue = RecordingQueue()
    queue.hang.clear()  # the first hand-over hangs until released
    relay = OutboxRelay(store, queue, hand_over_timeout=5.0)
    events = await stored(store, 5)

    await relay.hand_over_new(events[0])  # returns at once, though the queue hangs
    await asyncio.sleep(0.01)
    for event in events[1:]:
        await relay.hand_over_new(event)
    queue.hang.set()
    await relay.stop()

    assert [[h.event_id for h in call] for call in queue.calls] == [
        [events[0].id],
        [e.id for e in events[1:]],
    ]
    assert all(h.event is not None for call in queue.calls for h in call)
    entries = [await store.outbox_get(e.id) for e in events]
    assert all(e is not None and e.status is OutboxStatus.ENQUEUED for e in entries)


async def test_events_handed_over_in_quick_succession_are_marked_in_one_write() -> None:
    store = CountingStore()
    relay = OutboxRelay(store, RecordingQueue(), mark_delay=0.2)
    events = await stored(store, 4)

    for event in events:  # each its own queue call, 20-30 ms apart
        await relay.hand_over_new(event)
        await asyncio.sleep(0.02)
    await relay.stop()

    assert [sorted(ids) for ids in store.mark_writes] == [sorted(e.id for e in events)]


async def test_routine_relay_passes_leave_fresh_entries_to_their_hand_over() -> None:
    store = InMemoryEventStore()
    queue = RecordingQueue()
    relay = OutboxRelay(store, queue, poll_seconds=0.02, grace=timedelta(seconds=0.5))
    await relay.start()
    await asyncio.sleep(0.05)  # the first pass, which takes everything, has run
    (event,) = await stored(store, 1)

    await asyncio.sleep(0.2)  # several routine passes
    untouched = list(queue.calls)
    relay.nudge()
    await asyncio.sleep(0.1)
    await relay.stop()

    assert untouched == []
    assert [[h.event_id for h in call] for call in queue.calls] == [[event.id]]


async def test_an_entry_left_pending_past_the_grace_is_handed_over() -> None:
    store = InMemoryEventStore()
    queue = RecordingQueue()
    relay = OutboxRelay(store, queue, poll_seconds=0.02, grace=timedelta(seconds=0.1))
    await relay.start()
    await asyncio.sleep(0.05)
    (event,) = await stored(store, 1)  # its hand-over died with the process, say

    await asyncio.sleep(0.4)
    await relay.stop()

    assert [[h.event_id for h in call] for call in queue.calls] == [[event.id]]
    entry = await store.outbox_get(event.id)
    assert entry is not None and entry.status is OutboxStatus.ENQUEUED


async def test_a_hand_over_that_times_out_leaves_the_events_pending_for_the_relay() -> None:
    store = InMemoryEventStore()
    queue = RecordingQueue()
    queue.hang.clear()
    relay = OutboxRelay(store, queue, hand_over_timeout=0.05)
    (event,) = await stored(store, 1)

    await relay.hand_over_new(event)
    await asyncio.sleep(0.2)
    entry = await store.outbox_get(event.id)
    assert entry is not None and entry.status is OutboxStatus.PENDING

    queue.hang.set()
    assert await relay.relay_pending() == 1
    entry = await store.outbox_get(event.id)
    assert entry is not None and entry.status is OutboxStatus.ENQUEUED
    await relay.stop()


@pytest.fixture
async def arq_queue(redis_url: str) -> AsyncIterator[ArqQueue]:
    queue = ArqQueue(redis_url, queue_name=f"kintsugi:test:{uuid.uuid4().hex[:8]}")
    yield queue
    redis = await queue._redis()
    await redis.delete(queue.queue_name, wake_key(queue.queue_name))
    await queue.close()


@pytest.mark.redis
async def test_arq_jobs_are_written_as_arq_writes_them(arq_queue: ArqQueue) -> None:
    fresh = Event(type="t", source="tests", payload={"n": 1}, position=7)
    recovered = uuid.uuid4()

    added = await arq_queue.enqueue_many(
        [Handover.fresh(fresh), Handover(recovered, f"{recovered}:2")]
    )

    redis = await arq_queue._redis()
    assert added == 2
    assert await redis.zcard(arq_queue.queue_name) == 2
    assert await redis.llen(wake_key(arq_queue.queue_name)) == 1
    fresh_job = await Job(str(fresh.id), redis, _queue_name=arq_queue.queue_name).info()
    recovered_job = await Job(f"{recovered}:2", redis, _queue_name=arq_queue.queue_name).info()
    assert fresh_job is not None and recovered_job is not None
    assert fresh_job.function == recovered_job.function == HANDLE_EVENT
    assert fresh_job.args[0] == str(fresh.id) and len(fresh_job.args) == 2
    assert Event.model_validate_json(fresh_job.args[1]) == fresh
    assert repr(fresh_job.args[1]).startswith("<event: ")  # arq's log line stays short
    assert recovered_job.args == (str(recovered),)
    status = await Job(str(fresh.id), redis, _queue_name=arq_queue.queue_name).status()
    assert status is JobStatus.queued
    assert 0 < await redis.pttl(job_key_prefix + str(fresh.id)) <= redis.expires_extra_ms


@pytest.mark.redis
async def test_a_queued_or_finished_job_is_not_enqueued_again(arq_queue: ArqQueue) -> None:
    queued, finished = uuid.uuid4(), uuid.uuid4()
    redis = await arq_queue._redis()
    await arq_queue.enqueue(queued)
    await redis.set(result_key_prefix + str(finished), pickle.dumps({"r": "done"}), ex=60)
    await redis.delete(wake_key(arq_queue.queue_name))

    added = await arq_queue.enqueue_many(
        [Handover(queued, str(queued)), Handover(finished, str(finished))]
    )

    assert added == 0
    assert await redis.zcard(arq_queue.queue_name) == 1
    assert await redis.llen(wake_key(arq_queue.queue_name)) == 0  # nothing new, no wake-up


@pytest.mark.redis
async def test_many_jobs_in_one_call_keep_the_wake_up_list_short(arq_queue: ArqQueue) -> None:
    events = [Event(type="t", source="tests") for _ in range(300)]

    assert await arq_queue.enqueue_many([Handover.fresh(e) for e in events]) == 300

    redis = await arq_queue._redis()
    assert await redis.zcard(arq_queue.queue_name) == 300
    assert await redis.llen(wake_key(arq_queue.queue_name)) == 1


async def test_an_unreadable_carried_event_is_read_from_the_store() -> None:
    store = CountingStore()
    seen: list[uuid.UUID] = []
    router = Router()

    async def handler(event: Event) -> None:
        seen.append(event.id)

    router.on("t", handler)
    (event,) = await stored(store, 1)
    ctx = {"event_job": EventJob(store, router), "job_try": 1}

    outcome = await handle_event(ctx, str(event.id), {"written": "by another version"})

    assert outcome == JobOutcome.DONE.value
    assert seen == [event.id] and store.reads == 1


async def test_an_event_carried_as_json_or_by_an_earlier_version_is_not_read_back() -> None:
    store = CountingStore()
    router, seen = recording_router()
    as_json, as_pydantic_json, as_dict = await stored(store, 3)
    ctx = {"event_job": EventJob(store, router), "job_try": 1}

    await handle_event(ctx, str(as_json.id), CarriedEvent.of(as_json))
    await handle_event(ctx, str(as_pydantic_json.id), as_pydantic_json.model_dump_json().encode())
    await handle_event(ctx, str(as_dict.id), as_dict.model_dump(mode="json"))

    assert seen == [as_json, as_pydantic_json, as_dict] and store.reads == 0


def test_a_carried_event_reads_back_as_the_same_event() -> None:
    event = Event(
        type="github.issue_comment.created",
        source="github",
        stream="github/octo/repo",
        stream_version=7,
        position=42,
        payload={"comment": {"body": "/heal\n\u00e9 \U0001f600", "id": 2**53}, "n": [1.5, None]},
        metadata=EventMetadata(
            correlation_id=uuid.uuid4(), delivery_id="d-1", installation_id=4242, validated=True
        ),
        idempotency_key="github:d-1",
    )

    assert Event.model_validate_json(CarriedEvent.of(event)) == event
    assert repr(CarriedEvent.of(event)).endswith("bytes of JSON>")


def test_a_kept_result_records_the_event_id_not_the_event() -> None:
    event = Event(type="t", source="tests", payload={"comment": "x" * 10_000})
    args = (str(event.id), CarriedEvent(event.model_dump_json().encode()))
    now = int(time.time() * 1000)
    result = serialize_result(
        HANDLE_EVENT, args, {}, 1, now, True, "done", now, now, "ref", "q",
        job_id=str(event.id), serializer=serialize_without_event,
    )  # fmt: skip
    job = serialize_without_event(serialize_job_data(args))

    assert result is not None and len(result) < 1_000
    kept = deserialize_result(result)
    assert kept.args == (str(event.id),) and kept.result == "done" and kept.success
    assert pickle.loads(job)["a"] == args  # a job itself keeps its arguments


def serialize_job_data(args: tuple[Any, ...]) -> dict[str, Any]:
    return {"t": 1, "f": HANDLE_EVENT, "a": args, "k": {}, "et": 0}


@pytest.mark.redis
async def test_the_job_is_in_redis_before_the_webhook_answers(
    arq_queue: ArqQueue, redis_url: str
) -> None:
    store = InMemoryEventStore()
    relay = OutboxRelay(store, arq_queue)
    await arq_queue._redis()
    (warm, event) = await stored(store, 2)
    await relay.hand_over_new(warm)  # the enqueue connection is opened once
    await asyncio.sleep(0.05)
    check = redis.Redis.from_url(redis_url)

    await relay.hand_over_new(event)
    time.sleep(0.01)  # noqa: ASYNC251  # blocks the loop: only what was sent can reach Redis
    queued = check.exists(job_key_prefix + str(event.id))

    check.close()
    await relay.stop()
    assert queued == 1


@pytest.mark.redis
async def test_a_worker_with_every_slot_taken_picks_up_the_rest_as_slots_free(
    redis_url: str, postgres_url: str
) -> None:
    handled: list[uuid.UUID] = []
    router = Router()

    async def slow(event: Event) -> None:
        await asyncio.sleep(0.1)
        handled.append(event.id)

    router.on("t", slow)
    # A poll timer of 30 s: only the wake-ups and freed slots can start these jobs in time.
    settings = isolated(redis_url, postgres_url, worker_poll_seconds=30.0)
    services = await open_services(settings, router=router)
    worker = build_worker(settings, router=router, handle_signals=False, max_jobs=2)
    task = asyncio.create_task(worker.async_run())
    try:
        events = await stored(services.store, 6)
        await asyncio.sleep(0.2)  # the worker is waiting on its wake-up list
        await services.queue.enqueue_many([Handover.fresh(e) for e in events])

        async def all_handled() -> bool:
            return len(handled) == 6

        await wait_for(all_handled, within=5)
    finally:
        await asyncio.gather(worker.close(), return_exceptions=True)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await services.close()
    assert sorted(handled) == sorted(e.id for e in events)
