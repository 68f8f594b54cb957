"""Group commit writes of the SQL event store: statement by statement on SQLite, one function
call on PostgreSQL. Both apply the same rules; the store's contract tests run both."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy import bindparam, func, insert, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection

from app import jsoncodec
from app.events.group_commit import PendingAppend
from app.events.model import Event
from app.events.sql_rows import EVENTS, OUTBOX, event_row, metadata_of, outbox_values, to_event
from app.events.store import DuplicateEventError

# Every append takes this transaction-scoped lock on PostgreSQL, so positions are handed out
# in commit order and a reader that follows `position > checkpoint` never skips an event that
# commits late. The number is arbitrary but fixed ("kintsugi" in ASCII, truncated).
APPEND_LOCK_KEY = 0x6B696E747375
_APPEND = text(
    "SELECT * FROM kintsugi_append(CAST(:events AS jsonb), CAST(:payloads AS json[]), :lock_key)"
    " ORDER BY out_n"
)


# Built once, with their lists as expanding parameters: built per group with the values inlined,
# SQLAlchemy coerces every key and stream into a parameter of its own each time.
_TAKEN_KEYS = select(EVENTS).where(EVENTS.c.idempotency_key.in_(bindparam("keys", expanding=True)))
_STREAM_VERSIONS = (
    select(EVENTS.c.stream, func.max(EVENTS.c.stream_version))
    .where(EVENTS.c.stream.in_(bindparam("streams", expanding=True)))
    .group_by(EVENTS.c.stream)
)


def write_group_statements(
    conn: Connection, group: Sequence[PendingAppend]
) -> list[Event | DuplicateEventError]:
    """A group of single-event appends (any version) in the caller's transaction, statement by
    statement (SQLite): duplicates are refused by idempotency key, versions are numbered per
    stream in arrival order. Synchronous: the store runs it in one thread hop on a file
    database (each statement through aiosqlite would be four hops of its own)."""
    keys = [p.event.idempotency_key for p in group if p.event.idempotency_key]
    taken: dict[str, Event] = {}
    if keys:
        found = conn.execute(_TAKEN_KEYS, {"keys": keys})
        taken = {row.idempotency_key: to_event(row) for row in found}
    streams = sorted({p.stream for p in group})
    versions = {name: int(v) for name, v in conn.execute(_STREAM_VERSIONS, {"streams": streams})}
    outcomes: list[Event | DuplicateEventError] = []
    accepted: list[Event] = []
    claimed: dict[str, Event] = {}
    for pending in group:
        event, key = pending.event, pending.event.idempotency_key
        if key is not None and (key in taken or key in claimed):
            outcomes.append(DuplicateEventError(key, taken.get(key) or claimed[key]))
            continue
        versions[pending.stream] = versions.get(pending.stream, 0) + 1
        kept = event.model_copy(
            update={"stream": pending.stream, "stream_version": versions[pending.stream]}
        )
        if key is not None:
            claimed[key] = kept
        accepted.append(kept)
        outcomes.append(kept)
    if not accepted:
        return outcomes
    rows = [event_row(e) for e in accepted]
    inserted = conn.execute(insert(EVENTS).returning(EVENTS.c.id, EVENTS.c.position), rows)
    positions = {row.id: row.position for row in inserted}
    stored = {e.id: e.model_copy(update={"position": positions[e.id]}) for e in accepted}
    wanted = {p.event.id for p in group if p.outbox}
    queued = [outbox_values(e, e.position) for e in stored.values() if e.id in wanted]
    if queued:
        conn.execute(insert(OUTBOX), queued)
    # Duplicates of an event accepted in this very group point at its stored copy.
    return [
        stored[o.id]
        if isinstance(o, Event)
        else DuplicateEventError(o.key, stored.get(o.existing.id, o.existing))
        for o in outcomes
    ]


async def write_group_function(
    conn: AsyncConnection,
    group: Sequence[PendingAppend],
    read_events: Callable[[list[uuid.UUID]], Awaitable[list[Event]]],
) -> list[Event | DuplicateEventError]:
    """`write_group_statements` as one statement on PostgreSQL, on an autocommit connection:
    the `kintsugi_append` function (migration 0003) applies the same rules under the append
    lock, in one round trip and as set operations. `read_events` fetches the stored events that
    refused duplicates point at."""
    events = jsoncodec.dumps(
        [
            {
                "id": str(p.event.id),
                "type": p.event.type,
                "source": p.event.source,
                "stream": p.stream,
                "metadata": metadata_of(p.event),
                "idempotency_key": p.event.idempotency_key,
                "occurred_at": p.event.occurred_at.isoformat(),
                "outbox": p.outbox,
            }
            for p in group
        ]
    )
    payloads = [jsoncodec.dumps(p.event.payload) for p in group]
    parameters = {"events": events, "payloads": payloads, "lock_key": APPEND_LOCK_KEY}
    rows = (await conn.execute(_APPEND, parameters)).all()
    stored: dict[uuid.UUID, Event] = {}
    outcomes: list[Event | DuplicateEventError | uuid.UUID] = []
    for pending, row in zip(group, rows, strict=True):
        if row.out_existing is not None:
            outcomes.append(row.out_existing)
            continue
        event = pending.event.model_copy(
            update={
                "stream": pending.stream,
                "stream_version": row.out_version,
                "position": row.out_position,
            }
        )
        stored[event.id] = event
        outcomes.append(event)
    missing = [o for o in outcomes if isinstance(o, uuid.UUID) and o not in stored]
    if missing:
        for event in await read_events(missing):
            stored[event.id] = event
    return [
        DuplicateEventError(pending.event.idempotency_key or "", stored[outcome])
        if isinstance(outcome, uuid.UUID)
        else outcome
        for pending, outcome in zip(group, outcomes, strict=True)
    ]
