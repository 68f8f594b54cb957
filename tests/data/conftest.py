"""Fixtures for the data layer: its own tables on SQLite and PostgreSQL, both caches."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from redis.asyncio import Redis
from sqlalchemy import MetaData, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from app.data import Cache, InProcessCache, RedisCache
from app.settings import async_database_url
from tests.conftest import require_service


class DataTestModel(SQLModel, registry=registry()):
    """A registry of its own, so these tables never mix with the application's metadata."""


class User(DataTestModel, table=True):
    __tablename__ = "users"

    id: str = Field(primary_key=True)
    name: str
    status: str = Field(default="active", index=True)
    age: int | None = None
    team_id: int | None = Field(default=None, index=True)
    joined_at: datetime = Field(default_factory=lambda: datetime(2024, 1, 1, tzinfo=UTC))


class Team(DataTestModel, table=True):
    __tablename__ = "teams"

    id: int = Field(primary_key=True)
    name: str = Field(unique=True)


DATA_TABLES: MetaData = DataTestModel.metadata


async def open_data_engine(
    backend: str, tmp_path: Path, metadata: MetaData = DATA_TABLES
) -> tuple[AsyncEngine, str | None]:
    """An engine with `metadata` created; on PostgreSQL inside a schema of this test's own."""
    if backend == "sqlite":
        engine = create_async_engine(f"sqlite+aiosqlite:///{tmp_path / 'data.db'}")
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        return engine, None
    url = async_database_url(require_service("TEST_DATABASE_URL"))
    schema = f"data_test_{uuid.uuid4().hex[:12]}"
    base = create_async_engine(url)
    # Unqualified tables land in the private schema, so parallel suites on the same database
    # (the event-store tests, other runs) never see or lock each other's tables.
    engine = base.execution_options(schema_translate_map={None: schema})
    async with base.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    return engine, schema


async def close_data_engine(engine: AsyncEngine, schema: str | None) -> None:
    if schema is not None:
        async with engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    await engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def data_engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[AsyncEngine]:
    engine, schema = await open_data_engine(request.param, tmp_path)
    yield engine
    await close_data_engine(engine, schema)


@pytest.fixture
async def redis_client() -> AsyncIterator[Redis]:
    client = Redis.from_url(require_service("TEST_REDIS_URL"))
    yield client
    await client.aclose()


@pytest.fixture
def redis_prefix() -> str:
    return f"kintsugi-test:{uuid.uuid4().hex}:"


async def delete_prefixed(client: Redis, prefix: str) -> None:
    keys = [key async for key in client.scan_iter(match=f"{prefix}*")]
    if keys:
        await client.delete(*keys)


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def cache(request: pytest.FixtureRequest) -> AsyncIterator[Cache]:
    if request.param == "memory":
        yield InProcessCache()
        return
    client = Redis.from_url(require_service("TEST_REDIS_URL"))
    prefix: str = request.getfixturevalue("redis_prefix")
    yield RedisCache(client, prefix=prefix)
    await delete_prefixed(client, prefix)
    await client.aclose()
