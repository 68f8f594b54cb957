"""The SQL store: query descriptions over registered SQLModel tables on an async engine."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from sqlalchemy import MetaData, Table
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlmodel import SQLModel

from app.data.errors import DataQueryError
from app.data.ports import Row
from app.data.sql_query import QUERY_TYPES, parse_query
from app.errors import ConflictError, KintsugiError, TransientError
from app.settings import async_database_url

logger = logging.getLogger(__name__)

TableSource = MetaData | Iterable[type[SQLModel] | Table]


class SqlStore:
    """select / insert / update / delete over the tables it was given, one transaction each.

    `tables` is a `MetaData` (looked up live, so tables defined later are found) or a list of
    SQLModel table classes or Core tables; by default every SQLModel table. Each query returns
    rows as dicts: the selected rows, or the rows inserted, updated or deleted (via RETURNING,
    which PostgreSQL and SQLite ≥ 3.35 both support).
    """

    def __init__(self, engine: AsyncEngine | str, *, tables: TableSource | None = None) -> None:
        if isinstance(engine, str):
            self._engine = create_async_engine(async_database_url(engine))
            self._owns_engine = True
        else:
            self._engine = engine
            self._owns_engine = False
        self._lookup = _table_lookup(SQLModel.metadata if tables is None else tables)

    @property
    def engine(self) -> AsyncEngine:
        return self._engine

    @property
    def query_types(self) -> frozenset[str]:
        return QUERY_TYPES

    def table(self, name: str) -> Table | None:
        """The registered table called `name`, if any."""
        return self._lookup(name)

    async def execute(self, query_type: str, query: Mapping[str, Any]) -> list[Row]:
        statement = parse_query(query_type, query, self._lookup).build()
        try:
            async with self._engine.begin() as connection:
                result = await connection.execute(statement)
                return [dict(row) for row in result.mappings()]
        except sa_exc.SQLAlchemyError as exc:
            raise _translate(exc, query_type, query) from exc
        except OSError as exc:
            # Some drivers let a refused or reset connection through unwrapped.
            raise TransientError(f"database unreachable during {query_type}: {exc}") from exc

    async def close(self) -> None:
        if self._owns_engine:
            await self._engine.dispose()


def _table_lookup(source: TableSource) -> Callable[[str], Table | None]:
    if isinstance(source, MetaData):
        metadata = source

        def live(name: str) -> Table | None:
            found = metadata.tables.get(name)
            if found is not None:
                return found
            # Tables in a named schema are keyed "schema.name"; the description uses the name.
            return next((t for t in metadata.tables.values() if t.name == name), None)

        return live
    by_name: dict[str, Table] = {}
    for item in source:
        table = item if isinstance(item, Table) else _model_table(item)
        by_name[table.name] = table
    return by_name.get


def _model_table(model: type[SQLModel]) -> Table:
    table = getattr(model, "__table__", None)
    if not isinstance(table, Table):
        raise DataQueryError(f"{model.__name__} is not a SQLModel table (declare table=True)")
    return table


def _translate(exc: sa_exc.SQLAlchemyError, query_type: str, query: Mapping[str, Any]) -> Exception:
    table = query.get("table")
    logger.warning(
        "sql %s failed",
        query_type,
        extra={"table": table, "query_type": query_type, "error": type(exc).__name__},
    )
    error: KintsugiError
    if isinstance(exc, sa_exc.IntegrityError):
        error = ConflictError(f"{query_type} on {table!r} clashes with existing rows: {exc.orig}")
    elif isinstance(
        exc,
        sa_exc.OperationalError
        | sa_exc.InterfaceError
        | sa_exc.DisconnectionError
        | sa_exc.TimeoutError,
    ):
        error = TransientError(f"database unavailable during {query_type} on {table!r}: {exc}")
    else:
        error = DataQueryError(f"database refused {query_type} on {table!r}: {exc}")
    return error
