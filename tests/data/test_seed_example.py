"""The seed's data-layer example, as written there (imports and connection objects adapted)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from app.data import DataLoader, InProcessCache, RedisCache, UnifiedDataLayer
from tests.data.conftest import DATA_TABLES, User


class Users:
    """The example's `db`: one batched query through the data layer for many users."""

    def __init__(self, layer: UnifiedDataLayer) -> None:
        self.layer = layer
        self.calls: list[list[str]] = []

    async def fetch_users_by_ids(self, user_ids: list[str]) -> list[dict[str, Any] | Exception]:
        self.calls.append(list(user_ids))
        rows = await self.layer.query(
            "select", {"table": "users", "filters": {"id": {"in": list(user_ids)}}}
        )
        by_id = {row["id"]: row for row in rows}
        # In key order, as DataLoader expects; an unknown id fails for that id alone.
        return [by_id[i] if i in by_id else KeyError(i) for i in user_ids]


@pytest.fixture
async def postgres_connection(data_engine: AsyncEngine) -> AsyncEngine:
    async with data_engine.begin() as conn:
        await conn.execute(
            insert(User),
            [
                {"id": "user-1", "name": "Ada", "status": "active"},
                {"id": "user-2", "name": "Brian", "status": "active"},
                {"id": "user-3", "name": "Cleo", "status": "active"},
                {"id": "user-4", "name": "Dmitri", "status": "suspended"},
            ],
        )
    return data_engine


@pytest.fixture(params=["in-process", pytest.param("redis", marks=pytest.mark.redis)])
async def redis_connection(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    if request.param == "in-process":
        yield None
        return
    from redis.asyncio import Redis

    from tests.conftest import require_service
    from tests.data.conftest import delete_prefixed

    client = Redis.from_url(require_service("TEST_REDIS_URL"))
    await delete_prefixed(client, "kintsugi:cache:user:123")
    yield client
    await delete_prefixed(client, "kintsugi:cache:user:123")
    await client.aclose()


async def test_seed_data_layer_example_runs(
    postgres_connection: AsyncEngine, redis_connection: Any
) -> None:
    # No Neo4j or Elasticsearch here; Qdrant runs embedded.
    neo4j_connection = None
    qdrant_connection = ":memory:"
    es_connection = None
    user_data = {"id": "123", "name": "Ada", "roles": ["admin"]}

    # --- the seed's example, from "set-up" on ---
    data_layer = UnifiedDataLayer(
        postgres_conn=postgres_connection,
        neo4j_conn=neo4j_connection,
        qdrant_conn=qdrant_connection,
        elasticsearch_conn=es_connection,
        redis_conn=redis_connection,
        tables=DATA_TABLES,
    )

    # unified query
    result = await data_layer.query(
        query_type="select",
        query={"table": "users", "filters": {"status": "active"}},
        database="postgres",
    )

    db = Users(data_layer)

    # DataLoader for batch loading
    async def batch_load_users(user_ids):  # type: ignore[no-untyped-def]  # as in the seed
        # one batched query to the database
        return await db.fetch_users_by_ids(user_ids)

    loader = DataLoader(batch_load_users)  # type: ignore[var-annotated]  # untyped, as in the seed
    users = await loader.load_many(["user-1", "user-2", "user-3"])

    # caching
    await data_layer.cache_set("user:123", user_data, ttl=3600)
    cached = await data_layer.cache_get("user:123")
    # --- end of the example ---

    assert sorted(row["name"] for row in result) == ["Ada", "Brian", "Cleo"]
    assert [u["name"] for u in users] == ["Ada", "Brian", "Cleo"]
    assert db.calls == [["user-1", "user-2", "user-3"]]
    assert cached == user_data
    expected_cache = InProcessCache if redis_connection is None else RedisCache
    assert isinstance(data_layer.cache, expected_cache)
    assert data_layer.databases == {"postgres", "qdrant"}
    await data_layer.aclose()
