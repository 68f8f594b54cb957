"""`UnifiedDataLayer`: one entry point for queries over every configured store, and the cache."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine

from app.data.cache import InProcessCache, RedisCache
from app.data.errors import UnconfiguredStoreError, UnsupportedQueryTypeError
from app.data.ports import Cache, Row, Store
from app.data.sql import SqlStore, TableSource

if TYPE_CHECKING:
    from qdrant_client import AsyncQdrantClient

logger = logging.getLogger(__name__)


class UnifiedDataLayer:
    """Routes `query(query_type, query, database=...)` to a store and `cache_*` to the cache.

    `postgres_conn` is an `AsyncEngine` or a database URL (PostgreSQL or SQLite: "postgres"
    names the relational store, whatever engine backs it). `redis_conn` is a
    `redis.asyncio.Redis`; without it the cache is an in-process TTL cache. `qdrant_conn` is an
    `AsyncQdrantClient`, or a path / ":memory:" for the embedded local mode. Neo4j and
    Elasticsearch have no adapter here: write a `Store` and pass it in `stores=`.
    Connections handed in stay the caller's to close; `aclose()` closes only what was opened here.
    """

    def __init__(
        self,
        postgres_conn: AsyncEngine | str | None = None,
        redis_conn: Redis | None = None,
        neo4j_conn: object | None = None,
        qdrant_conn: AsyncQdrantClient | str | None = None,
        elasticsearch_conn: object | None = None,
        *,
        tables: TableSource | None = None,
        cache: Cache | None = None,
        stores: Mapping[str, Store] | None = None,
    ) -> None:
        for name, conn in (("neo4j", neo4j_conn), ("elasticsearch", elasticsearch_conn)):
            if conn is not None and not (stores and name in stores):
                raise UnconfiguredStoreError(
                    f"no {name} adapter ships with Kintsugi; implement the Store protocol "
                    f"(app.data.ports.Store) and pass it as stores={{{name!r}: ...}}"
                )
        self._stores: dict[str, Store] = {}
        if postgres_conn is not None:
            self._stores["postgres"] = SqlStore(postgres_conn, tables=tables)
        if qdrant_conn is not None:
            # Imported here so that processes without fix memory never load qdrant-client.
            from app.data.vector import QdrantStore

            self._stores["qdrant"] = QdrantStore(qdrant_conn)
        self._stores.update(stores or {})
        if cache is not None:
            self._cache: Cache = cache
        elif redis_conn is not None:
            self._cache = RedisCache(redis_conn)
        else:
            self._cache = InProcessCache()

    @property
    def databases(self) -> frozenset[str]:
        """Names accepted by `query(database=...)`."""
        return frozenset(self._stores)

    @property
    def cache(self) -> Cache:
        """The cache, to hand to code that needs only caching (LLM responses, tokens)."""
        return self._cache

    def store(self, database: str) -> Store:
        try:
            return self._stores[database]
        except KeyError:
            configured = ", ".join(sorted(self._stores)) or "none"
            raise UnconfiguredStoreError(
                f"database {database!r} is not configured for this data layer "
                f"(configured: {configured})"
            ) from None

    async def query(
        self, query_type: str, query: Mapping[str, Any], database: str = "postgres"
    ) -> list[Row]:
        """Run a query description on one store; see each store for the keys it takes."""
        store = self.store(database)
        if query_type not in store.query_types:
            raise UnsupportedQueryTypeError(
                f"{database} does not run {query_type!r} queries; "
                f"it runs {sorted(store.query_types)}"
            )
        rows = await store.execute(query_type, query)
        logger.debug(
            "data query",
            extra={"database": database, "query_type": query_type, "rows": len(rows)},
        )
        return rows

    async def cache_get(self, key: str) -> Any:
        """The cached value, or None when absent or expired."""
        return await self._cache.get(key)

    async def cache_set(self, key: str, value: Any, ttl: float | None = None) -> None:
        """Cache a JSON-serialisable value for `ttl` seconds (None: no expiry)."""
        await self._cache.set(key, value, ttl)

    async def cache_delete(self, key: str) -> bool:
        """Forget a key; True when it was cached."""
        return await self._cache.delete(key)

    async def aclose(self) -> None:
        for store in self._stores.values():
            await store.close()
