"""The SQL event store (SQLite file or PostgreSQL) over SQLAlchemy's async engine."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from functools import cache
from typing import Any, TypeVar

from sqlalchemy import bindparam, func, insert, select, text, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from app.events.group_commit import GroupCommitter, PendingAppend
from app.events.model import Event
from app.events.sql_groups import APPEND_LOCK_KEY, write_group_function, write_group_statements
from app.events.sql_rows import (
    CHECKPOINTS,
    EVENTS,
    OUTBOX,
    metadata_of,
    outbox_row,
    to_event,
    to_outbox,
)
from app.events.store import (
    ANY_VERSION,
    ConcurrencyError,
    DuplicateEventError,
    OutboxEntry,
    OutboxStatus,
)

_In = TypeVar("_In")
_Out = TypeVar("_Out")


class SqlEventStore:
    """Events, outbox rows and checkpoints in one database, appended with optimistic locking."""

    def __init__(self, engine: AsyncEngine, *, file_twin: Engine | None = None) -> None:
        """`file_twin`: a synchronous engine on the same SQLite file (`app.database.event_store`
        makes one), which takes each group commit and outbox mark in one thread hop."""
        self.engine = engine
        self._is_postgres = engine.dialect.name == "postgresql"
        # One statement needs no transaction of its own: on PostgreSQL it runs in autocommit,
        # which spares the BEGIN and COMMIT (or ROLLBACK) round trips around it.
        self._single = (
            engine.execution_options(isolation_level="AUTOCOMMIT") if self._is_postgres else engine
        )
        self._group = GroupCommitter(self._write_group)
        # SQLite allows one writer at a time anyway; queueing in-process avoids busy retries.
        self._local_lock = asyncio.Lock()
        self._file_twin = file_twin

    async def append(
        self,
        stream: str,
        events: Event | Sequence[Event],
        *,
        expected_version: int | None = ANY_VERSION,
        outbox: bool = False,
    ) -> list[Event]:
        batch = [events] if isinstance(events, Event) else list(events)
        if expected_version is None and len(batch) == 1:
            return [await self._group.append(stream, batch[0], outbox)]
        try:
            async with self._writing() as conn:
                if self._is_postgres:
                    await conn.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": APPEND_LOCK_KEY}
                    )
                await self._refuse_duplicates(conn, batch)
                current = await self._stream_version(conn, stream)
                if expected_version is not None and expected_version != current:
                    raise ConcurrencyError(stream, expected_version, current)
                return [
                    await self._insert(conn, stream, current + offset, event, outbox)
                    for offset, event in enumerate(batch, start=1)
                ]
        except IntegrityError as error:
            # Another process writing the SQLite file: the unique constraints are the backstop,
            # so say which rule broke.
            for event in batch:
                if event.idempotency_key:
                    existing = await self.find_by_idempotency_key(event.idempotency_key)
                    if existing is not None:
                        raise DuplicateEventError(event.idempotency_key, existing) from error
            actual = await self._current_version(stream)
            raise ConcurrencyError(stream, expected_version or 0, actual) from error

    @asynccontextmanager
    async def _writing(self) -> AsyncIterator[AsyncConnection]:
        """A write transaction. SQLite has one writer at a time: queueing writers here costs far
        less than colliding in its busy handler, which sleeps in steps of milliseconds."""
        if self._is_postgres:
            async with self.engine.begin() as conn:
                yield conn
            return
        async with self._local_lock, self.engine.begin() as conn:
            yield conn

    @asynccontextmanager
    async def _single_write(self) -> AsyncIterator[AsyncConnection]:
        """A connection for a write of one statement (autocommit on PostgreSQL)."""
        if self._is_postgres:
            async with self._single.connect() as conn:
                yield conn
            return
        async with self._writing() as conn:
            yield conn

    async def _refuse_duplicates(self, conn: AsyncConnection, batch: list[Event]) -> None:
        keys = [e.idempotency_key for e in batch if e.idempotency_key]
        if not keys:
            return
        query = select(EVENTS).where(EVENTS.c.idempotency_key.in_(keys)).limit(1)
        row = (await conn.execute(query)).first()
        if row is not None:
            raise DuplicateEventError(row.idempotency_key, to_event(row))

    async def _write_group(
        self, group: Sequence[PendingAppend]
    ) -> list[Event | DuplicateEventError]:
        if self._is_postgres:
            async with self._single.connect() as conn:
                return await write_group_function(conn, group, self._events_by_id)
        return await self._write_sqlite(write_group_statements, group)

    async def _write_statement(self, statement: Any, params: dict[str, Any] | None = None) -> int:
        """One write statement in a transaction of its own; how many rows it changed."""
        if self._is_postgres:
            async with self._single_write() as conn:
                return int((await conn.execute(statement, params)).rowcount)
        return await self._write_sqlite(_rowcount, (statement, params))

    async def _write_sqlite(self, work: Callable[[Connection, _In], _Out], arg: _In) -> _Out:
        """`work(conn, arg)` in one SQLite write transaction. Through aiosqlite every statement
        costs four thread hops (cursor, execute, fetch, close), a group commit seventeen; on the
        file's twin engine the whole transaction is one."""
        if self._file_twin is None:
            async with self._writing() as conn:
                return await conn.run_sync(work, arg)
        async with self._local_lock:
            return await asyncio.to_thread(_in_transaction, self._file_twin, work, arg)

    async def _events_by_id(self, ids: list[uuid.UUID]) -> list[Event]:
        return await self._many(select(EVENTS).where(EVENTS.c.id.in_(ids)))

    async def _stream_version(self, conn: AsyncConnection, stream: str) -> int:
        query = select(func.max(EVENTS.c.stream_version)).where(EVENTS.c.stream == stream)
        return int((await conn.execute(query)).scalar() or 0)

    async def _current_version(self, stream: str) -> int:
        async with self._single.connect() as conn:
            return await self._stream_version(conn, stream)

    async def _insert(
        self, conn: AsyncConnection, stream: str, version: int, event: Event, outbox: bool
    ) -> Event:
        position = (
            await conn.execute(
                insert(EVENTS)
                .values(
                    id=event.id,
                    type=event.type,
                    source=event.source,
                    stream=stream,
                    stream_version=version,
                    payload=event.payload,
                    metadata=metadata_of(event),
                    idempotency_key=event.idempotency_key,
                    occurred_at=event.occurred_at,
                )
                .returning(EVENTS.c.position)
            )
        ).scalar_one()
        if outbox:
            await conn.execute(outbox_row(event, position))
        return event.model_copy(
            update={"stream": stream, "stream_version": version, "position": position}
        )

    async def get(self, event_id: uuid.UUID) -> Event | None:
        return await self._one(select(EVENTS).where(EVENTS.c.id == event_id))

    async def get_with_outbox(self, event_id: uuid.UUID) -> tuple[Event | None, OutboxEntry | None]:
        query = (
            select(EVENTS, OUTBOX)
            .select_from(EVENTS.outerjoin(OUTBOX, OUTBOX.c.event_id == EVENTS.c.id))
            .where(EVENTS.c.id == event_id)
        )
        async with self._single.connect() as conn:
            row = (await conn.execute(query)).first()
        if row is None:
            return None, None
        entry = None if row.event_id is None else to_outbox(row)
        return to_event(row), entry

    async def find_by_idempotency_key(self, key: str) -> Event | None:
        return await self._one(select(EVENTS).where(EVENTS.c.idempotency_key == key))

    async def read_stream(self, stream: str, *, from_version: int = 1) -> list[Event]:
        query = (
            select(EVENTS)
            .where(EVENTS.c.stream == stream, EVENTS.c.stream_version >= from_version)
            .order_by(EVENTS.c.stream_version)
        )
        return await self._many(query)

    async def read_all(
        self, *, after: int = 0, limit: int = 1000, types: Sequence[str] | None = None
    ) -> list[Event]:
        query = select(EVENTS).where(EVENTS.c.position > after)
        if types:
            query = query.where(EVENTS.c.type.in_(list(types)))
        return await self._many(query.order_by(EVENTS.c.position).limit(limit))

    async def read_latest(
        self, limit: int, *, types: Sequence[str] | None = None, stream: str | None = None
    ) -> list[Event]:
        # Newest first through the position index, then turned round.
        query = select(EVENTS)
        if types:
            query = query.where(EVENTS.c.type.in_(list(types)))
        if stream is not None:
            query = query.where(EVENTS.c.stream == stream)
        newest = await self._many(query.order_by(EVENTS.c.position.desc()).limit(limit))
        return newest[::-1]

    async def count(self, *, types: Sequence[str] | None = None) -> int:
        query = select(func.count()).select_from(EVENTS)
        if types:
            query = query.where(EVENTS.c.type.in_(list(types)))
        async with self._single.connect() as conn:
            return int((await conn.execute(query)).scalar_one())

    async def count_by_type(self) -> dict[str, int]:
        query = select(EVENTS.c.type, func.count()).group_by(EVENTS.c.type).order_by(EVENTS.c.type)
        async with self._single.connect() as conn:
            return {str(kind): int(n) for kind, n in await conn.execute(query)}

    async def outbox_counts(self) -> dict[OutboxStatus, int]:
        query = select(OUTBOX.c.status, func.count()).group_by(OUTBOX.c.status)
        async with self._single.connect() as conn:
            return {OutboxStatus(status): int(n) for status, n in await conn.execute(query)}

    async def last_position(self) -> int:
        async with self._single.connect() as conn:
            return int((await conn.execute(select(func.max(EVENTS.c.position)))).scalar() or 0)

    async def load_checkpoint(self, subscriber: str) -> int:
        query = select(CHECKPOINTS.c.position).where(CHECKPOINTS.c.subscriber == subscriber)
        async with self._single.connect() as conn:
            return int((await conn.execute(query)).scalar() or 0)

    async def save_checkpoint(self, subscriber: str, position: int) -> None:
        async with self._writing() as conn:
            changed = await conn.execute(
                update(CHECKPOINTS)
                .where(CHECKPOINTS.c.subscriber == subscriber)
                .values(position=position)
            )
            if changed.rowcount == 0:
                await conn.execute(
                    insert(CHECKPOINTS).values(subscriber=subscriber, position=position)
                )

    async def outbox_pending(self, *, limit: int = 100) -> list[OutboxEntry]:
        return await self.outbox_list(OutboxStatus.PENDING, limit=limit)

    async def outbox_get(self, event_id: uuid.UUID) -> OutboxEntry | None:
        async with self._single.connect() as conn:
            row = (await conn.execute(select(OUTBOX).where(OUTBOX.c.event_id == event_id))).first()
        return None if row is None else to_outbox(row)

    async def outbox_mark(
        self,
        event_id: uuid.UUID,
        status: OutboxStatus,
        *,
        error: str | None = None,
        attempts: int | None = None,
        only_if: OutboxStatus | None = None,
    ) -> bool:
        # A single mark always records its error (None clears an earlier one).
        return bool(
            await self._mark([event_id], status, only_if, attempts, sets_error=True, error=error)
        )

    async def outbox_mark_many(
        self,
        event_ids: Sequence[uuid.UUID],
        status: OutboxStatus,
        *,
        only_if: OutboxStatus | None = None,
        attempts: int | None = None,
    ) -> int:
        if not event_ids:
            return 0
        # A job done clears the error of its earlier attempts; other marks leave it as it is.
        done = status is OutboxStatus.DONE
        return await self._mark(event_ids, status, only_if, attempts, sets_error=done)

    async def _mark(
        self,
        event_ids: Sequence[uuid.UUID],
        status: OutboxStatus,
        only_if: OutboxStatus | None,
        attempts: int | None,
        *,
        sets_error: bool,
        error: str | None = None,
    ) -> int:
        """The outbox UPDATE behind both marks; with `sets_error` the entries' last error
        becomes `error` (None clears it)."""
        statement = _mark_statement(
            conditional=only_if is not None,
            counts_attempts=attempts is not None,
            sets_error=sets_error,
        )
        params: dict[str, Any] = {
            "ids": list(event_ids),
            "new_status": status.value,
            "now": datetime.now(UTC),
        }
        if attempts is not None:
            params["new_attempts"] = attempts
        if only_if is not None:
            params["required_status"] = only_if.value
        if sets_error:
            params["new_error"] = error
        return await self._write_statement(statement, params)

    async def outbox_revive(self, event_id: uuid.UUID) -> bool:
        statement = (
            update(OUTBOX)
            .where(OUTBOX.c.event_id == event_id, OUTBOX.c.status == OutboxStatus.DEAD.value)
            .values(
                status=OutboxStatus.PENDING.value,
                attempts=0,
                rounds=OUTBOX.c.rounds + 1,
                updated_at=datetime.now(UTC),
            )
        )
        async with self._single_write() as conn:
            changed = await conn.execute(statement)
        return bool(changed.rowcount)

    async def outbox_list(
        self,
        status: OutboxStatus,
        *,
        limit: int = 100,
        updated_before: datetime | None = None,
    ) -> list[OutboxEntry]:
        query = select(OUTBOX).where(OUTBOX.c.status == status.value)
        if updated_before is not None:
            query = query.where(OUTBOX.c.updated_at < updated_before)
        query = query.order_by(OUTBOX.c.position).limit(limit)
        async with self._single.connect() as conn:
            return [to_outbox(row) for row in await conn.execute(query)]

    async def close(self) -> None:
        if self._file_twin is not None:
            self._file_twin.dispose()
        await self.engine.dispose()

    async def _one(self, query: Any) -> Event | None:
        async with self._single.connect() as conn:
            row = (await conn.execute(query)).first()
        return None if row is None else to_event(row)

    async def _many(self, query: Any) -> list[Event]:
        async with self._single.connect() as conn:
            return [to_event(row) for row in await conn.execute(query)]


def _in_transaction(engine: Engine, work: Callable[[Connection, _In], _Out], arg: _In) -> _Out:
    with engine.begin() as conn:
        return work(conn, arg)


def _rowcount(conn: Connection, work: tuple[Any, dict[str, Any] | None]) -> int:
    statement, params = work
    return int(conn.execute(statement, params).rowcount)


@cache
def _mark_statement(*, conditional: bool, counts_attempts: bool, sets_error: bool) -> Any:
    """The outbox marks' UPDATE, built once per shape with the ids as one expanding parameter:
    built per call with the ids inlined, SQLAlchemy coerces every id into a parameter of its
    own on each mark, which cost the embedded server a tenth of its event-loop time."""
    statement = update(OUTBOX).where(OUTBOX.c.event_id.in_(bindparam("ids", expanding=True)))
    if conditional:
        statement = statement.where(OUTBOX.c.status == bindparam("required_status"))
    values: dict[str, Any] = {"status": bindparam("new_status"), "updated_at": bindparam("now")}
    if counts_attempts:
        values["attempts"] = bindparam("new_attempts")
    if sets_error:
        values["last_error"] = bindparam("new_error")
    return statement.values(**values)
