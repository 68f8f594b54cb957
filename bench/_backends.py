"""PostgreSQL and Redis for a benchmark: a database of its own, migrated, and a Redis DB number."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import redis

from app.database import create_engine, upgrade

ADMIN_DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")


def database_url(name: str) -> str:
    """The admin URL with its database replaced by `name`."""
    parts = urlsplit(ADMIN_DATABASE_URL)
    return urlunsplit(parts._replace(path=f"/{name}"))


@contextmanager
def bench_database(name: str) -> Iterator[str]:
    """A fresh PostgreSQL database migrated to head, dropped afterwards; yields its URL."""
    asyncio.run(_recreate(name))
    url = database_url(name)
    try:
        asyncio.run(_migrate(url))
        yield url
    finally:
        asyncio.run(_drop(name))


async def _recreate(name: str) -> None:
    admin = await asyncpg.connect(ADMIN_DATABASE_URL)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


async def _drop(name: str) -> None:
    admin = await asyncpg.connect(ADMIN_DATABASE_URL)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


async def count_rows(url: str, query: str) -> int:
    connection = await asyncpg.connect(url)
    try:
        return int(await connection.fetchval(query))
    finally:
        await connection.close()


async def execute(url: str, statement: str) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextmanager
def bench_redis() -> Iterator[redis.Redis]:
    """The benchmark's own Redis DB, emptied before and after; yields a client for it."""
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    try:
        yield client
    finally:
        client.flushdb()
        client.close()
