"""`UnifiedDataLayer.query` on the SQL store: one suite, run on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from app.data import (
    DataQueryError,
    UnifiedDataLayer,
    UnknownColumnError,
    UnknownTableError,
    UnsupportedOperatorError,
)
from app.errors import ConflictError, PermanentError
from tests.data.conftest import DATA_TABLES

PEOPLE = [
    {"id": "u1", "name": "Ada", "status": "active", "age": 36, "team_id": 1},
    {"id": "u2", "name": "Brian", "status": "active", "age": 41, "team_id": 2},
    {"id": "u3", "name": "Cleo", "status": "banned", "age": 29, "team_id": 1},
    {"id": "u4", "name": "Dmitri", "status": "active", "age": None, "team_id": None},
]


@pytest.fixture
async def layer(data_engine: AsyncEngine) -> AsyncIterator[UnifiedDataLayer]:
    layer = UnifiedDataLayer(postgres_conn=data_engine, tables=DATA_TABLES)
    await layer.query("insert", {"table": "users", "values": PEOPLE})
    yield layer
    await layer.aclose()


async def names(layer: UnifiedDataLayer, filters: dict[str, object]) -> list[str]:
    rows = await layer.query(
        "select", {"table": "users", "filters": filters, "columns": ["name"], "order_by": "name"}
    )
    return [row["name"] for row in rows]


async def test_select_filters_by_equality_and_returns_whole_rows(
    layer: UnifiedDataLayer,
) -> None:
    rows = await layer.query("select", {"table": "users", "filters": {"status": "banned"}})
    assert rows == [
        {
            "id": "u3",
            "name": "Cleo",
            "status": "banned",
            "age": 29,
            "team_id": 1,
            "joined_at": rows[0]["joined_at"],
        }
    ]
    assert rows[0]["joined_at"].replace(tzinfo=UTC) == datetime(2024, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"id": {"in": ["u1", "u3", "nobody"]}}, ["Ada", "Cleo"]),
        ({"id": {"not_in": ["u1", "u3"]}}, ["Brian", "Dmitri"]),
        ({"id": {"in": []}}, []),
        ({"age": {"gt": 36}}, ["Brian"]),
        ({"age": {"gte": 36}}, ["Ada", "Brian"]),
        ({"age": {"lt": 36}}, ["Cleo"]),
        ({"age": {"gte": 30, "lte": 40}}, ["Ada"]),
        ({"status": {"ne": "active"}}, ["Cleo"]),
        ({"name": {"like": "%ri%"}}, ["Brian", "Dmitri"]),
        ({"age": None}, ["Dmitri"]),
        ({"age": {"is_null": False}, "team_id": 1}, ["Ada", "Cleo"]),
    ],
)
async def test_filter_operators_select_the_matching_rows(
    layer: UnifiedDataLayer, filters: dict[str, object], expected: list[str]
) -> None:
    assert await names(layer, filters) == expected


async def test_order_by_descending_limit_and_offset_page_through_rows(
    layer: UnifiedDataLayer,
) -> None:
    query = {"table": "users", "columns": ["id"], "order_by": ["-id"], "limit": 2}
    first = await layer.query("select", query)
    second = await layer.query("select", {**query, "offset": 2})
    assert [r["id"] for r in first] == ["u4", "u3"]
    assert [r["id"] for r in second] == ["u2", "u1"]


async def test_insert_fills_model_defaults_and_returns_the_new_rows(
    layer: UnifiedDataLayer,
) -> None:
    [row] = await layer.query("insert", {"table": "users", "values": {"id": "u5", "name": "Eve"}})
    assert row["status"] == "active"
    assert row["joined_at"] is not None
    assert await names(layer, {"id": "u5"}) == ["Eve"]


async def test_update_changes_only_filtered_rows_and_returns_them(
    layer: UnifiedDataLayer,
) -> None:
    changed = await layer.query(
        "update",
        {"table": "users", "filters": {"team_id": 1}, "values": {"status": "archived"}},
    )
    assert sorted(r["id"] for r in changed) == ["u1", "u3"]
    assert await names(layer, {"status": "archived"}) == ["Ada", "Cleo"]
    assert await names(layer, {"status": "active"}) == ["Brian", "Dmitri"]


async def test_delete_removes_only_filtered_rows(layer: UnifiedDataLayer) -> None:
    removed = await layer.query("delete", {"table": "users", "filters": {"status": "active"}})
    assert sorted(r["id"] for r in removed) == ["u1", "u2", "u4"]
    assert await names(layer, {}) == ["Cleo"]


async def test_update_or_delete_without_filters_is_refused_unless_all_rows_is_explicit(
    layer: UnifiedDataLayer,
) -> None:
    with pytest.raises(DataQueryError, match="all_rows"):
        await layer.query("delete", {"table": "users"})
    with pytest.raises(DataQueryError, match="all_rows"):
        await layer.query("update", {"table": "users", "filters": {}, "values": {"age": 1}})
    assert len(await names(layer, {})) == 4
    removed = await layer.query("delete", {"table": "users", "all_rows": True})
    assert len(removed) == 4


@pytest.mark.parametrize(
    ("query_type", "query", "error", "message"),
    [
        ("select", {"table": "accounts"}, UnknownTableError, "accounts"),
        ("select", {"table": "users", "filters": {"email": "x"}}, UnknownColumnError, "email"),
        ("select", {"table": "users", "columns": ["password"]}, UnknownColumnError, "password"),
        ("select", {"table": "users", "order_by": "-rank"}, UnknownColumnError, "rank"),
        ("insert", {"table": "users", "values": {"id": "x", "nick": "y"}},
         UnknownColumnError, "nick"),
        ("select", {"table": "users", "filters": {"age": {"between": [1, 2]}}},
         UnsupportedOperatorError, "between"),
        ("select", {"table": "users", "filters": {"id": {"in": "u1"}}}, DataQueryError, "list"),
        ("delete", {"table": "users", "filter": {"id": "u1"}}, DataQueryError, "filter"),
        ("select", {"table": "users", "limit": -1}, DataQueryError, "limit"),
        ("truncate", {"table": "users"}, DataQueryError, "truncate"),
    ],
)  # fmt: skip
async def test_bad_descriptions_fail_clearly_before_touching_the_database(
    layer: UnifiedDataLayer,
    data_engine: AsyncEngine,
    query_type: str,
    query: dict[str, object],
    error: type[Exception],
    message: str,
) -> None:
    statements: list[str] = []
    event.listen(
        data_engine.sync_engine,
        "before_cursor_execute",
        lambda *args: statements.append(args[2]),
    )
    with pytest.raises(error, match=message) as raised:
        await layer.query(query_type, query)
    assert isinstance(raised.value, PermanentError)
    assert statements == []


async def test_hostile_values_are_bound_parameters_not_sql(layer: UnifiedDataLayer) -> None:
    hostile = "x'; DROP TABLE users; --"
    assert await names(layer, {"name": hostile}) == []
    await layer.query("insert", {"table": "users", "values": {"id": "evil", "name": hostile}})
    assert await names(layer, {"name": hostile}) == [hostile]
    assert len(await names(layer, {})) == 5


async def test_duplicate_primary_key_is_a_conflict(layer: UnifiedDataLayer) -> None:
    with pytest.raises(ConflictError):
        await layer.query("insert", {"table": "users", "values": {"id": "u1", "name": "Again"}})
    assert await names(layer, {"id": "u1"}) == ["Ada"]


async def test_a_failed_multi_row_insert_leaves_no_rows_behind(layer: UnifiedDataLayer) -> None:
    rows = [{"id": "u6", "name": "Fay"}, {"id": "u1", "name": "Clash"}]
    with pytest.raises(ConflictError):
        await layer.query("insert", {"table": "users", "values": rows})
    assert await names(layer, {"id": "u6"}) == []
