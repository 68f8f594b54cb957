"""The ports of the data layer: the `Store` adapter every database plugs into, and `Cache`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

# A row or hit as the query API returns it: column (or field) name → JSON-like value.
Row = dict[str, Any]


@runtime_checkable
class Store(Protocol):
    """One database behind `UnifiedDataLayer.query(query_type, query, database=name)`.

    A store takes a query *description* (a mapping: never a string of SQL, Cypher or DSL), checks
    every name in it against what it knows, and returns plain rows. Library errors are translated
    once, here: connection trouble → `TransientError`, constraint clashes → `ConflictError`, bad
    descriptions → `DataQueryError`.

    To add a database (Neo4j, Elasticsearch, …) write one module with a class that satisfies this
    protocol — for Neo4j, `query_type` "match"/"merge" over `{"label", "filters", "limit"}` built
    with parameterised Cypher; for Elasticsearch, "search"/"index" over `{"index", "match",
    "limit"}` built as a bool query — and pass it as `UnifiedDataLayer(stores={"neo4j": ...})`.
    Kintsugi ships only the stores it can test against real engines: SQL and Qdrant.
    """

    @property
    def query_types(self) -> frozenset[str]:
        """The query types `execute` accepts."""
        ...

    async def execute(self, query_type: str, query: Mapping[str, Any]) -> list[Row]:
        """Run one query description and return its rows."""
        ...

    async def close(self) -> None:
        """Release what this store opened itself (never a connection it was handed)."""
        ...


@runtime_checkable
class Cache(Protocol):
    """A key → JSON value cache with per-key expiry. `None` from `get` means absent."""

    async def get(self, key: str) -> Any:
        """The cached value, or None when absent or expired."""
        ...

    async def set(self, key: str, value: Any, ttl: float | None = None) -> None:
        """Store a JSON-serialisable value for `ttl` seconds (None: until evicted or deleted)."""
        ...

    async def delete(self, key: str) -> bool:
        """Forget a key; True when it was there."""
        ...
