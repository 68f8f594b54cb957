"""Schema state: SQLite migrates itself, PostgreSQL must be migrated before the server starts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.database import create_engine, current_revision, ensure_schema, head_revision, upgrade
from app.errors import ConfigurationError
from app.settings import async_database_url
from tests.conftest import scratch_postgres


@pytest.fixture
def empty_postgres() -> Iterator[str]:
    with scratch_postgres("kintsugi_empty") as url:
        yield url


async def test_unmigrated_postgres_is_refused_with_a_clear_message(empty_postgres: str) -> None:
    engine = create_engine(empty_postgres)
    try:
        with pytest.raises(ConfigurationError, match="kintsugi migrate"):
            await ensure_schema(engine, auto_migrate=False)
        await upgrade(engine)
        await ensure_schema(engine, auto_migrate=False)  # no error once migrated
        assert await current_revision(engine) == head_revision()
    finally:
        await engine.dispose()


async def test_embedded_sqlite_file_migrates_itself(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'nested' / 'kintsugi.db'}")
    try:
        assert await current_revision(engine) is None
        await ensure_schema(engine, auto_migrate=True)
        assert await current_revision(engine) == head_revision()
    finally:
        await engine.dispose()


def test_plain_database_urls_map_to_async_drivers() -> None:
    assert async_database_url("postgresql://u@h/db") == "postgresql+asyncpg://u@h/db"
    assert async_database_url("postgres://u@h/db") == "postgresql+asyncpg://u@h/db"
    assert async_database_url("sqlite:///x.db") == "sqlite+aiosqlite:///x.db"
    assert async_database_url("postgresql+asyncpg://u@h/db") == "postgresql+asyncpg://u@h/db"
