"""Shared fixtures: real PostgreSQL and Redis when configured, SQLite files otherwise."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from app.database import create_engine, upgrade
from app.settings import async_database_url

T = TypeVar("T")
CORPUS = Path(__file__).resolve().parent / "corpus"


def _ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_service(variable: str) -> str:
    """The service URL from `variable`; skipped locally when unset, a failure on CI."""
    url = os.environ.get(variable)
    if url:
        return url
    if _ci():
        pytest.fail(f"{variable} is not set: CI must run the integration tests, not skip them")
    pytest.skip(f"{variable} is not set: integration test skipped")


@pytest.fixture(scope="session", autouse=True)
def environment_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Where the repositories' environments the tests build are cached (content-keyed, so
    shared safely): ENVIRONMENT_CACHE_DIR when set (CI keeps it between runs), else a folder
    of this session."""
    from app.settings import get_settings

    configured = os.environ.get("ENVIRONMENT_CACHE_DIR")
    if configured:
        yield Path(configured)
        return
    path = tmp_path_factory.mktemp("environments")
    os.environ["ENVIRONMENT_CACHE_DIR"] = str(path)
    get_settings.cache_clear()
    try:
        yield path
    finally:
        os.environ.pop("ENVIRONMENT_CACHE_DIR", None)
        get_settings.cache_clear()


@contextmanager
def scratch_postgres(prefix: str) -> Iterator[str]:
    """An empty PostgreSQL database of its own, dropped afterwards; yields its URL."""
    base = make_url(async_database_url(require_service("TEST_DATABASE_URL")))
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"

    async def admin(statement: str) -> None:
        engine = create_engine(base.render_as_string(hide_password=False))
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text(statement))
        await engine.dispose()

    run_aside(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        run_aside(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database for this test session, dropped afterwards."""

    async def migrate(url: str) -> None:
        engine = create_engine(url)
        await upgrade(engine)
        await engine.dispose()

    with scratch_postgres("kintsugi_test") as url:
        run_aside(migrate(url))
        yield url


def run_aside(work: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion on a thread of its own (safe inside a running loop)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, work).result()


async def open_engine(backend: str, request: pytest.FixtureRequest) -> AsyncEngine:
    """An empty, migrated database of the named backend ("sqlite" or "postgres")."""
    if backend == "postgres":
        engine = create_engine(request.getfixturevalue("postgres_url"))
        async with engine.begin() as conn:
            await conn.execute(text("TRUNCATE events, outbox, checkpoints RESTART IDENTITY"))
        return engine
    tmp_path: Path = request.getfixturevalue("tmp_path")
    engine = create_engine(f"sqlite:///{tmp_path / f'kintsugi-{uuid.uuid4().hex[:6]}.db'}")
    await upgrade(engine)
    return engine


@pytest.fixture
async def postgres_engine(request: pytest.FixtureRequest) -> AsyncIterator[AsyncEngine]:
    engine = await open_engine("postgres", request)
    yield engine
    await engine.dispose()


@pytest.fixture
async def sqlite_engine(request: pytest.FixtureRequest) -> AsyncIterator[AsyncEngine]:
    engine = await open_engine("sqlite", request)
    yield engine
    await engine.dispose()


@pytest.fixture
def redis_url() -> str:
    return require_service("TEST_REDIS_URL")
