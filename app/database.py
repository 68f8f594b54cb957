"""Database engines and schema state: the async engine, SQLite pragmas, Alembic upgrades."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine as create_sync_engine
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from app import jsoncodec
from app.errors import ConfigurationError
from app.events.sql import SqlEventStore
from app.settings import async_database_url

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


# Event payloads are JSON columns: stored and read back on every webhook and job.
_JSON: dict[str, Any] = {"json_serializer": jsoncodec.dumps, "json_deserializer": jsoncodec.loads}


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    """An async engine for `url`; SQLite files get WAL and a busy timeout."""
    url = async_database_url(url)
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, **_JSON)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    # No pre-ping: it costs a round trip on every checkout of the hot path; recycling connections
    # and the callers' retries cover a database restart instead.
    return create_async_engine(
        url, pool_size=pool_size, max_overflow=pool_size, pool_recycle=1800, **_JSON
    )


def sqlite_file_twin(engine: AsyncEngine) -> Engine | None:
    """A synchronous engine on the same SQLite file as `engine`, with the same pragmas and JSON
    codec, for work that runs many statements in one worker thread; None unless `engine` is a
    SQLite file (an in-memory database exists only on its own connections)."""
    url = engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    twin = create_sync_engine(url.set(drivername="sqlite+pysqlite"), **_JSON)
    event.listen(twin, "connect", _sqlite_pragmas)
    return twin


def event_store(engine: AsyncEngine) -> SqlEventStore:
    """The event store on `engine`; on a SQLite file with its synchronous twin for writes."""
    return SqlEventStore(engine, file_twin=sqlite_file_twin(engine))


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def current_revision(engine: AsyncEngine) -> str | None:
    def read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with engine.connect() as conn:
        return await conn.run_sync(read)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Apply migrations up to `revision` through the engine's own connection."""

    def run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with engine.begin() as conn:
        await conn.run_sync(run)


async def ensure_schema(engine: AsyncEngine, *, auto_migrate: bool) -> None:
    """Migrate the embedded SQLite file; refuse to run against a stale production schema."""
    if await current_revision(engine) == head_revision():
        return
    if auto_migrate:
        await upgrade(engine)
        return
    raise ConfigurationError(
        f"the database schema is at revision {await current_revision(engine) or 'none'} but "
        f"this version of Kintsugi needs {head_revision()}: run `kintsugi migrate` first."
    )
