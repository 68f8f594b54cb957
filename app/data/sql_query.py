"""Turns a query description (`{"table", "filters", "values", …}`) into a SQLAlchemy Core statement.

Every table, column and operator name is checked against the registered tables before anything
is built, and every value becomes a bound parameter: no SQL text is ever assembled from input.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy import ColumnElement, Delete, Insert, Select, Table, Update, and_, delete, insert
from sqlalchemy import select as sa_select
from sqlalchemy import update as sa_update
from sqlalchemy.sql.elements import UnaryExpression

from app.data.errors import (
    DataQueryError,
    UnknownColumnError,
    UnknownTableError,
    UnsupportedOperatorError,
    UnsupportedQueryTypeError,
)

QueryType = Literal["select", "insert", "update", "delete"]
QUERY_TYPES: frozenset[str] = frozenset({"select", "insert", "update", "delete"})
DESCRIPTION_KEYS = frozenset(
    {"table", "filters", "values", "columns", "order_by", "limit", "offset", "all_rows"}
)

_OPERATORS: dict[str, Callable[[Any, Any], ColumnElement[bool]]] = {
    "eq": lambda column, value: column.is_(None) if value is None else column == value,
    "ne": lambda column, value: column.is_not(None) if value is None else column != value,
    "gt": lambda column, value: column > value,
    "gte": lambda column, value: column >= value,
    "lt": lambda column, value: column < value,
    "lte": lambda column, value: column <= value,
    "like": lambda column, value: column.like(value),
    "in": lambda column, value: column.in_(value),
    "not_in": lambda column, value: column.not_in(value),
    "is_null": lambda column, value: column.is_(None) if value else column.is_not(None),
}
OPERATORS: frozenset[str] = frozenset(_OPERATORS)

Statement = Select[Any] | Insert | Update | Delete


@dataclass(frozen=True)
class Condition:
    column: str
    operator: str
    value: Any


@dataclass(frozen=True)
class SqlQuery:
    """A checked query description; `build` turns it into a Core statement."""

    query_type: QueryType
    table: Table
    conditions: tuple[Condition, ...] = ()
    values: tuple[Mapping[str, Any], ...] = ()
    columns: tuple[str, ...] = ()
    order_by: tuple[str, ...] = ()
    limit: int | None = None
    offset: int | None = None
    all_rows: bool = field(default=False)

    def build(self) -> Statement:
        table = self.table
        where = and_(*(_condition(table, c) for c in self.conditions)) if self.conditions else None
        returned = [table.c[name] for name in self.columns] or list(table.c)
        if self.query_type == "select":
            statement = sa_select(*returned)
            if where is not None:
                statement = statement.where(where)
            statement = statement.order_by(*(_ordering(table, name) for name in self.order_by))
            if self.limit is not None:
                statement = statement.limit(self.limit)
            if self.offset is not None:
                statement = statement.offset(self.offset)
            return statement
        if self.query_type == "insert":
            return insert(table).values(list(self.values)).returning(*returned)
        if self.query_type == "update":
            changed = sa_update(table).values(dict(self.values[0])).returning(*returned)
            return changed if where is None else changed.where(where)
        removed = delete(table).returning(*returned)
        return removed if where is None else removed.where(where)


def parse_query(
    query_type: str, description: Mapping[str, Any], lookup: Callable[[str], Table | None]
) -> SqlQuery:
    """Check a query description against the registered tables; raise `DataQueryError` if off."""
    if query_type not in QUERY_TYPES:
        raise UnsupportedQueryTypeError(
            f"unknown SQL query type {query_type!r}; expected one of {sorted(QUERY_TYPES)}"
        )
    if not isinstance(description, Mapping):
        raise DataQueryError(f"a query description is a mapping, got {type(description)}")
    # A misspelt key ("filter") would otherwise silently widen an update or delete to every row.
    unknown = set(description) - DESCRIPTION_KEYS
    if unknown:
        raise DataQueryError(
            f"unknown query keys {sorted(unknown)}; allowed are {sorted(DESCRIPTION_KEYS)}"
        )
    name = description.get("table")
    if not isinstance(name, str):
        raise DataQueryError("a query description needs a 'table' name")
    table = lookup(name)
    if table is None:
        raise UnknownTableError(f"unknown table {name!r}")

    conditions = _conditions(table, description.get("filters") or {})
    values = _values(query_type, table, description.get("values"))
    columns = tuple(_column_name(table, c) for c in _names(description.get("columns"), "columns"))
    order_by = _names(description.get("order_by"), "order_by")
    for entry in order_by:
        _column_name(table, entry.removeprefix("-"))
    all_rows = description.get("all_rows", False) is True
    if query_type in ("update", "delete") and not conditions and not all_rows:
        raise DataQueryError(
            f"{query_type} on {name!r} has no filters; pass 'all_rows': true to touch every row"
        )
    if query_type != "select" and (order_by or "limit" in description or "offset" in description):
        raise DataQueryError("order_by, limit and offset apply to select only")
    return SqlQuery(
        query_type=query_type,  # type: ignore[arg-type]  # checked against QUERY_TYPES above
        table=table,
        conditions=conditions,
        values=values,
        columns=columns,
        order_by=order_by,
        limit=_count(description.get("limit"), "limit"),
        offset=_count(description.get("offset"), "offset"),
        all_rows=all_rows,
    )


def _conditions(table: Table, filters: Any) -> tuple[Condition, ...]:
    if not isinstance(filters, Mapping):
        raise DataQueryError("'filters' is a mapping of column → value or {operator: value}")
    found: list[Condition] = []
    for column, wanted in filters.items():
        _column_name(table, column)
        if not isinstance(wanted, Mapping):
            found.append(Condition(column, "eq", wanted))
            continue
        if not wanted:
            raise DataQueryError(f"filter on {column!r} names no operator")
        for operator, value in wanted.items():
            if operator not in OPERATORS:
                raise UnsupportedOperatorError(
                    f"unsupported operator {operator!r} on {column!r}; "
                    f"supported are {sorted(OPERATORS)}"
                )
            if operator in ("in", "not_in") and (
                isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence | set)
            ):
                raise DataQueryError(f"operator {operator!r} on {column!r} takes a list")
            found.append(Condition(column, operator, value))
    return tuple(found)


def _values(query_type: str, table: Table, raw: Any) -> tuple[Mapping[str, Any], ...]:
    if query_type in ("select", "delete"):
        if raw is not None:
            raise DataQueryError(f"'values' does not apply to {query_type}")
        return ()
    rows = [raw] if isinstance(raw, Mapping) else raw
    if query_type == "update" and not isinstance(raw, Mapping):
        raise DataQueryError("update takes 'values' as one mapping of column → new value")
    if not isinstance(rows, list | tuple) or not rows:
        raise DataQueryError(f"{query_type} needs 'values': a mapping or a non-empty list of them")
    for row in rows:
        if not isinstance(row, Mapping) or not row:
            raise DataQueryError(f"each {query_type} row is a non-empty mapping")
        for column in row:
            _column_name(table, column)
    return tuple(rows)


def _names(raw: Any, key: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    names = [raw] if isinstance(raw, str) else raw
    if not isinstance(names, list | tuple) or not all(isinstance(n, str) for n in names):
        raise DataQueryError(f"{key!r} is a column name or a list of them")
    return tuple(names)


def _column_name(table: Table, name: Any) -> str:
    if not isinstance(name, str) or name not in table.c:
        raise UnknownColumnError(f"table {table.name!r} has no column {name!r}")
    return name


def _count(raw: Any, key: str) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
        raise DataQueryError(f"{key!r} is a non-negative integer, got {raw!r}")
    return raw


def _condition(table: Table, condition: Condition) -> ColumnElement[bool]:
    return _OPERATORS[condition.operator](table.c[condition.column], condition.value)


def _ordering(table: Table, entry: str) -> UnaryExpression[Any]:
    if entry.startswith("-"):
        return table.c[entry[1:]].desc()
    return table.c[entry].asc()
