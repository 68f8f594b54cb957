"""How `UnifiedDataLayer` routes `database=` to stores, and what it says when one is missing."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from app.data import (
    DataQueryError,
    Row,
    Store,
    UnconfiguredStoreError,
    UnifiedDataLayer,
    UnknownTableError,
    UnsupportedQueryTypeError,
)
from app.data.sql import SqlStore
from app.data.vector import QdrantStore
from app.errors import ConfigurationError, TransientError
from tests.data.conftest import DATA_TABLES


class KeyValueStore:
    """A minimal third store, as a Neo4j or Elasticsearch adapter would plug in."""

    def __init__(self) -> None:
        self.items: dict[str, Any] = {}
        self.closed = False

    @property
    def query_types(self) -> frozenset[str]:
        return frozenset({"put", "get"})

    async def execute(self, query_type: str, query: Mapping[str, Any]) -> list[Row]:
        if query_type == "put":
            self.items[query["key"]] = query["value"]
            return []
        return [{"key": query["key"], "value": self.items[query["key"]]}]

    async def close(self) -> None:
        self.closed = True


async def test_a_database_that_is_not_configured_is_named_in_a_clear_error() -> None:
    layer = UnifiedDataLayer()
    with pytest.raises(UnconfiguredStoreError, match="'postgres' is not configured") as raised:
        await layer.query("select", {"table": "users"})
    assert isinstance(raised.value, ConfigurationError)
    with pytest.raises(UnconfiguredStoreError, match="neo4j"):
        await layer.query("select", {"table": "users"}, database="neo4j")


@pytest.mark.parametrize("argument", ["neo4j_conn", "elasticsearch_conn"])
def test_neo4j_and_elasticsearch_connections_without_an_adapter_are_refused(
    argument: str,
) -> None:
    with pytest.raises(UnconfiguredStoreError, match="implement the Store protocol"):
        connection: dict[str, Any] = {argument: object()}
        UnifiedDataLayer(**connection)


async def test_any_store_satisfying_the_protocol_plugs_in_by_name() -> None:
    graph = KeyValueStore()
    assert isinstance(graph, Store)
    layer = UnifiedDataLayer(neo4j_conn=object(), stores={"neo4j": graph})
    await layer.query("put", {"key": "octocat", "value": {"follows": 3}}, database="neo4j")
    rows = await layer.query("get", {"key": "octocat"}, database="neo4j")
    assert rows == [{"key": "octocat", "value": {"follows": 3}}]
    with pytest.raises(UnsupportedQueryTypeError, match="'select'"):
        await layer.query("select", {"key": "octocat"}, database="neo4j")
    await layer.aclose()
    assert graph.closed


async def test_a_database_url_gives_the_layer_an_engine_of_its_own(tmp_path: Path) -> None:
    layer = UnifiedDataLayer(postgres_conn=f"sqlite:///{tmp_path / 'own.db'}", tables=DATA_TABLES)
    store = layer.store("postgres")
    assert isinstance(store, SqlStore)
    async with store.engine.begin() as conn:
        await conn.run_sync(DATA_TABLES.create_all)
    await layer.query("insert", {"table": "teams", "values": {"id": 1, "name": "core"}})
    assert await layer.query("select", {"table": "teams", "columns": ["name"]}) == [
        {"name": "core"}
    ]
    await layer.aclose()


async def test_an_unreachable_database_is_a_transient_error() -> None:
    layer = UnifiedDataLayer(
        postgres_conn="postgresql://nobody@127.0.0.1:1/none", tables=DATA_TABLES
    )
    with pytest.raises(TransientError):
        await layer.query("select", {"table": "users"})
    await layer.aclose()


async def test_default_tables_are_the_sqlmodel_metadata_looked_up_live(tmp_path: Path) -> None:
    store = SqlStore(f"sqlite:///{tmp_path / 'x.db'}")
    with pytest.raises(UnknownTableError):
        await store.execute("select", {"table": "users"})
    await store.close()


async def test_qdrant_answers_vector_queries_through_the_same_entry_point() -> None:
    layer = UnifiedDataLayer(qdrant_conn=":memory:")
    points = [
        {"id": "fix-a", "vector": [1.0, 0.0, 0.0], "payload": {"kind": "none-guard"}},
        {"id": "fix-b", "vector": [0.0, 1.0, 0.0], "payload": {"kind": "default-key"}},
        {"id": 7, "vector": [0.9, 0.1, 0.0], "payload": {"kind": "none-guard"}},
    ]
    await layer.query("upsert", {"collection": "fixes", "points": points}, database="qdrant")
    hits = await layer.query(
        "search",
        {"collection": "fixes", "vector": [1.0, 0.05, 0.0], "limit": 2},
        database="qdrant",
    )
    assert [h["id"] for h in hits] == ["fix-a", 7]
    assert hits[0]["payload"] == {"kind": "none-guard"}
    filtered = await layer.query(
        "search",
        {"collection": "fixes", "vector": [1.0, 0.0, 0.0], "filters": {"kind": "default-key"}},
        database="qdrant",
    )
    assert [h["id"] for h in filtered] == ["fix-b"]
    await layer.query("delete", {"collection": "fixes", "ids": ["fix-a"]}, database="qdrant")
    store = layer.store("qdrant")
    assert isinstance(store, QdrantStore)
    assert await store.count("fixes") == 2
    with pytest.raises(UnknownTableError, match="nowhere"):
        await layer.query(
            "search", {"collection": "nowhere", "vector": [1.0, 0.0, 0.0]}, database="qdrant"
        )
    with pytest.raises(DataQueryError, match="refused the query"):
        await layer.query(
            "search", {"collection": "fixes", "vector": [1.0, 0.0]}, database="qdrant"
        )
    await layer.aclose()
