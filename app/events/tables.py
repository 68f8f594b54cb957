"""The event store's SQL tables (SQLModel): events, outbox and subscriber checkpoints."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, DateTime, Integer, UniqueConstraint
from sqlmodel import Field, SQLModel

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
POSITION_TYPE = BigInteger().with_variant(Integer(), "sqlite")


class EventRecord(SQLModel, table=True):
    __tablename__ = "events"
    __table_args__ = (
        UniqueConstraint("stream", "stream_version", name="uq_events_stream_version"),
    )

    position: int | None = Field(
        default=None, sa_column=Column(POSITION_TYPE, primary_key=True, autoincrement=True)
    )
    id: uuid.UUID = Field(unique=True)
    type: str = Field(index=True, max_length=200)
    source: str = Field(max_length=200)
    stream: str = Field(max_length=400)
    stream_version: int
    payload: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    meta: dict[str, Any] = Field(sa_column=Column("metadata", JSON, nullable=False))
    idempotency_key: str | None = Field(default=None, unique=True, max_length=400)
    occurred_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class OutboxRecord(SQLModel, table=True):
    __tablename__ = "outbox"

    event_id: uuid.UUID = Field(primary_key=True)
    position: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    event_type: str = Field(max_length=200)
    status: str = Field(index=True, max_length=20)
    attempts: int = 0
    rounds: int = 0
    last_error: str | None = None
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class CheckpointRecord(SQLModel, table=True):
    __tablename__ = "checkpoints"

    subscriber: str = Field(primary_key=True, max_length=200)
    position: int = Field(sa_column=Column(BigInteger, nullable=False))
