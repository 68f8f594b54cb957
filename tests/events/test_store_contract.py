"""The event-store contract, run against in-memory, SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from app.events import (
    ConcurrencyError,
    DuplicateEventError,
    Event,
    EventMetadata,
    EventStore,
    InMemoryEventStore,
    OutboxStatus,
)


def make(kind: str = "test.happened", key: str | None = None, **payload: object) -> Event:
    return Event(type=kind, source="tests", payload=dict(payload), idempotency_key=key)


async def test_append_assigns_positions_and_stream_versions(store: EventStore) -> None:
    first = await store.append("orders-1", [make(n=1), make(n=2)])
    second = await store.append("orders-2", make(n=3))

    assert [e.stream_version for e in first] == [1, 2]
    assert [e.position for e in first + second] == [1, 2, 3]
    assert second[0].stream == "orders-2"


async def test_stored_event_reads_back_unchanged(store: EventStore) -> None:
    cause = uuid.uuid4()
    original = Event(
        type="github.issues.opened",
        source="github",
        payload={"title": "Crash in ünïcode", "nested": {"n": [1, 2.5, None, True]}},
        metadata=EventMetadata(causation_id=cause, correlation_id=cause, delivery_id="d-1"),
    )
    (stored,) = await store.append("s", original)

    loaded = await store.get(original.id)

    assert loaded == stored
    assert loaded is not None
    assert loaded.payload == original.payload
    assert loaded.metadata.causation_id == cause
    assert loaded.occurred_at == original.occurred_at


async def test_expected_version_conflict_raises_and_stores_nothing(store: EventStore) -> None:
    await store.append("case-7", make(), expected_version=0)

    with pytest.raises(ConcurrencyError) as raised:
        await store.append("case-7", [make(), make()], expected_version=0)

    assert raised.value.actual == 1
    assert len(await store.read_stream("case-7")) == 1
    assert await store.count() == 1


async def test_expected_version_matching_appends(store: EventStore) -> None:
    await store.append("case-8", make(), expected_version=0)
    stored = await store.append("case-8", make(), expected_version=1)
    assert stored[0].stream_version == 2


async def test_duplicate_idempotency_key_is_refused_with_the_original(store: EventStore) -> None:
    (original,) = await store.append("s", make(key="delivery-1"))

    with pytest.raises(DuplicateEventError) as raised:
        await store.append("s", make(key="delivery-1"))

    assert raised.value.existing.id == original.id
    assert await store.count() == 1
    assert (await store.find_by_idempotency_key("delivery-1")) == original


async def test_read_stream_from_version(store: EventStore) -> None:
    await store.append("s", [make(n=i) for i in range(5)])
    await store.append("other", make())

    events = await store.read_stream("s", from_version=3)

    assert [e.payload["n"] for e in events] == [2, 3, 4]
    assert await store.read_stream("missing") == []


async def test_read_all_pages_by_position_and_filters_types(store: EventStore) -> None:
    for i in range(6):
        await store.append(f"s{i % 2}", make("a" if i % 3 else "b", n=i))

    page = await store.read_all(after=2, limit=3)
    only_b = await store.read_all(types=["b"])

    assert [e.position for e in page] == [3, 4, 5]
    assert [e.payload["n"] for e in only_b] == [0, 3]
    assert await store.count(types=["b"]) == 2
    assert await store.last_position() == 6


async def test_checkpoints_start_at_zero_and_persist(store: EventStore) -> None:
    assert await store.load_checkpoint("projector") == 0
    await store.save_checkpoint("projector", 41)
    await store.save_checkpoint("projector", 42)
    assert await store.load_checkpoint("projector") == 42
    assert await store.load_checkpoint("other") == 0


async def test_outbox_rows_are_written_with_the_event(store: EventStore) -> None:
    (with_outbox,) = await store.append("s", make(), outbox=True)
    await store.append("s", make(), outbox=False)

    pending = await store.outbox_pending()

    assert [entry.event_id for entry in pending] == [with_outbox.id]
    assert pending[0].status is OutboxStatus.PENDING
    assert pending[0].attempts == 0


async def test_outbox_marks_move_entries_between_states(store: EventStore) -> None:
    (event,) = await store.append("s", make(), outbox=True)

    await store.outbox_mark(event.id, OutboxStatus.DEAD, error="boom", attempts=5)

    assert await store.outbox_pending() == []
    (dead,) = await store.outbox_list(OutboxStatus.DEAD)
    assert (dead.last_error, dead.attempts) == ("boom", 5)
    await store.outbox_mark(event.id, OutboxStatus.PENDING)
    entry = await store.outbox_get(event.id)
    assert entry is not None
    assert entry.status is OutboxStatus.PENDING
    assert entry.attempts == 5


async def test_conflicting_batch_leaves_no_outbox_rows(store: EventStore) -> None:
    await store.append("s", make(key="k"), outbox=True)
    with pytest.raises(DuplicateEventError):
        await store.append("s", [make(), make(key="k")], outbox=True)
    assert len(await store.outbox_pending()) == 1


async def test_conditional_outbox_mark_does_not_overwrite_a_newer_state(store: EventStore) -> None:
    (event,) = await store.append("s", make(), outbox=True)
    assert await store.outbox_mark(event.id, OutboxStatus.DONE)

    moved = await store.outbox_mark(event.id, OutboxStatus.ENQUEUED, only_if=OutboxStatus.PENDING)

    entry = await store.outbox_get(event.id)
    assert not moved
    assert entry is not None and entry.status is OutboxStatus.DONE


async def test_outbox_list_filters_entries_updated_before_a_moment(store: EventStore) -> None:
    (old,) = await store.append("s", make(), outbox=True)
    await store.outbox_mark(old.id, OutboxStatus.ENQUEUED)
    entry = await store.outbox_get(old.id)
    assert entry is not None

    before = await store.outbox_list(OutboxStatus.ENQUEUED, updated_before=entry.updated_at)
    after = await store.outbox_list(
        OutboxStatus.ENQUEUED, updated_before=entry.updated_at + timedelta(seconds=1)
    )

    assert before == []
    assert [e.event_id for e in after] == [old.id]


async def test_reviving_a_dead_letter_starts_a_new_round_with_a_new_job_id(
    store: EventStore,
) -> None:
    (event,) = await store.append("s", make(), outbox=True)
    first = await store.outbox_get(event.id)
    assert first is not None
    assert not await store.outbox_revive(event.id)  # only dead letters can be revived
    await store.outbox_mark(event.id, OutboxStatus.DEAD, error="boom", attempts=5)

    assert await store.outbox_revive(event.id)

    revived = await store.outbox_get(event.id)
    assert revived is not None
    assert (revived.status, revived.attempts, revived.rounds) == (OutboxStatus.PENDING, 0, 1)
    assert revived.job_id != first.job_id
    assert first.job_id == str(event.id)


async def test_counts_by_type_and_outbox_state(store: EventStore) -> None:
    await store.append("s", [make("b"), make("a"), make("b")], outbox=True)
    (event,) = await store.append("s", make("c"), outbox=True)
    await store.outbox_mark(event.id, OutboxStatus.DEAD)

    assert await store.count_by_type() == {"a": 1, "b": 2, "c": 1}
    assert await store.outbox_counts() == {OutboxStatus.PENDING: 3, OutboxStatus.DEAD: 1}


async def test_marking_many_entries_respects_their_current_state(store: EventStore) -> None:
    events = [(await store.append("s", make(), outbox=True))[0] for _ in range(3)]
    await store.outbox_mark(events[0].id, OutboxStatus.DONE)

    changed = await store.outbox_mark_many(
        [e.id for e in events], OutboxStatus.ENQUEUED, only_if=OutboxStatus.PENDING
    )

    states = [(await store.outbox_get(e.id)).status for e in events]  # type: ignore[union-attr]
    assert changed == 2
    assert states == [OutboxStatus.DONE, OutboxStatus.ENQUEUED, OutboxStatus.ENQUEUED]


async def test_marking_many_done_records_attempts_and_clears_the_error(store: EventStore) -> None:
    events = [(await store.append("s", make(), outbox=True))[0] for _ in range(4)]
    await store.outbox_mark(events[0].id, OutboxStatus.ENQUEUED, error="boom", attempts=1)

    first = await store.outbox_mark_many([e.id for e in events[:3]], OutboxStatus.DONE, attempts=2)
    second = await store.outbox_mark_many([events[3].id], OutboxStatus.DONE, attempts=1)

    entries = [await store.outbox_get(e.id) for e in events]
    assert (first, second) == (3, 1)
    assert [(e.status, e.attempts, e.last_error) for e in entries if e] == [
        (OutboxStatus.DONE, 2, None),
        (OutboxStatus.DONE, 2, None),
        (OutboxStatus.DONE, 2, None),
        (OutboxStatus.DONE, 1, None),
    ]


async def test_concurrent_appends_with_repeated_keys_store_each_key_once(
    store: EventStore,
) -> None:
    import asyncio

    attempts = [make(key=f"delivery-{n % 20}", n=n) for n in range(60)]
    outcomes = await asyncio.gather(
        *(store.append(f"repo-{n % 3}", e) for n, e in enumerate(attempts)),
        return_exceptions=True,
    )

    stored = [o[0] for o in outcomes if isinstance(o, list)]
    refused = [o for o in outcomes if isinstance(o, DuplicateEventError)]
    assert len(stored) == 20 and len(refused) == 40
    by_key = {e.idempotency_key: e.id for e in stored}
    assert all(r.existing.id == by_key[r.key] for r in refused)
    for stream in ("repo-0", "repo-1", "repo-2"):
        versions = [e.stream_version for e in await store.read_stream(stream)]
        assert versions == list(range(1, len(versions) + 1))
    assert await store.count() == 20


async def test_event_and_outbox_entry_are_read_together(store: EventStore) -> None:
    (queued,) = await store.append("s", make(), outbox=True)
    (plain,) = await store.append("s", make())

    event, entry = await store.get_with_outbox(queued.id)
    alone, none = await store.get_with_outbox(plain.id)

    assert event == queued and entry is not None and entry.event_id == queued.id
    assert alone == plain and none is None
    assert await store.get_with_outbox(uuid.uuid4()) == (None, None)


async def test_payloads_come_back_as_json_would_have_them(store: EventStore) -> None:
    payload = {"text": "naïve ☃", "big": 2**62, "ratio": 0.1, "items": [None], "by_n": {7: "x"}}
    (stored,) = await store.append("s", Event(type="t", source="tests", payload=payload))

    read = await store.get(stored.id)

    assert read is not None
    if isinstance(store, InMemoryEventStore):
        assert read.payload == payload  # nothing is serialised in memory
    else:
        assert read.payload == {**payload, "by_n": {"7": "x"}}


async def test_read_latest_gives_the_newest_matching_events_oldest_first(
    store: EventStore,
) -> None:
    for n in range(6):
        await store.append("a" if n % 2 else "b", make("odd.happened" if n % 2 else "even", n=n))

    latest = await store.read_latest(3)
    odd = await store.read_latest(2, types=["odd.happened"])
    in_b = await store.read_latest(10, stream="b")
    none = await store.read_latest(5, types=["odd.happened"], stream="b")

    assert [e.payload["n"] for e in latest] == [3, 4, 5]
    assert [e.payload["n"] for e in odd] == [3, 5]
    assert [e.payload["n"] for e in in_b] == [0, 2, 4]
    assert none == []
