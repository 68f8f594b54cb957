"""Benchmark: a projection reading 1,000 related rows with and without `DataLoader`.

Two read models over the same data (100 repositories, 1,000 incidents):
  * incident feed — 1,000 incidents, each shown with its repository (item → owner);
  * repository board — 100 repositories, each shown with its 10 incidents (parent → children).
Each is built once per-row (the N+1 shape) and once through a `DataLoader`, via
`UnifiedDataLayer.query`. Statements are counted with a `before_cursor_execute` listener.
Runs on SQLite, and on PostgreSQL when TEST_DATABASE_URL or DATABASE_URL is set.

    .venv/bin/python bench/bench_dataloader.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert, text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from app.data import DataLoader, UnifiedDataLayer
from app.settings import async_database_url

REPOSITORIES = 100
INCIDENTS_PER_REPOSITORY = 10


class BenchModel(SQLModel, registry=registry()):
    pass


class BenchRepository(BenchModel, table=True):
    __tablename__ = "bench_repositories"

    id: int = Field(primary_key=True)
    full_name: str
    stars: int


class BenchIncident(BenchModel, table=True):
    __tablename__ = "bench_incidents"

    id: int = Field(primary_key=True)
    repository_id: int = Field(index=True)
    title: str


class StatementCounter:
    def __init__(self, engine: AsyncEngine) -> None:
        self.count = 0
        event.listen(engine.sync_engine, "before_cursor_execute", self._seen)

    def _seen(self, *_: Any) -> None:
        self.count += 1


async def seed(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(BenchModel.metadata.create_all)
        await conn.execute(
            insert(BenchRepository),
            [{"id": r, "full_name": f"acme/repo-{r}", "stars": r * 3} for r in range(REPOSITORIES)],
        )
        await conn.execute(
            insert(BenchIncident),
            [
                {"id": i, "repository_id": i % REPOSITORIES, "title": f"incident {i}"}
                for i in range(REPOSITORIES * INCIDENTS_PER_REPOSITORY)
            ],
        )


async def feed_per_row(layer: UnifiedDataLayer) -> list[dict[str, Any]]:
    incidents = await layer.query("select", {"table": "bench_incidents", "order_by": "id"})
    feed = []
    for incident in incidents:
        [repo] = await layer.query(
            "select", {"table": "bench_repositories", "filters": {"id": incident["repository_id"]}}
        )
        feed.append({"title": incident["title"], "repository": repo["full_name"]})
    return feed


async def feed_with_loader(layer: UnifiedDataLayer) -> list[dict[str, Any]]:
    async def repositories(ids: list[int]) -> dict[int, dict[str, Any]]:
        rows = await layer.query(
            "select", {"table": "bench_repositories", "filters": {"id": {"in": ids}}}
        )
        return {row["id"]: row for row in rows}

    loader: DataLoader[int, dict[str, Any]] = DataLoader(repositories)
    incidents = await layer.query("select", {"table": "bench_incidents", "order_by": "id"})
    repos = await asyncio.gather(*(loader.load(i["repository_id"]) for i in incidents))
    return [
        {"title": i["title"], "repository": r["full_name"]}
        for i, r in zip(incidents, repos, strict=True)
    ]


async def board_per_row(layer: UnifiedDataLayer) -> list[dict[str, Any]]:
    repos = await layer.query("select", {"table": "bench_repositories", "order_by": "id"})
    board = []
    for repo in repos:
        incidents = await layer.query(
            "select", {"table": "bench_incidents", "filters": {"repository_id": repo["id"]}}
        )
        board.append({"repository": repo["full_name"], "incidents": [i["id"] for i in incidents]})
    return board


async def board_with_loader(layer: UnifiedDataLayer) -> list[dict[str, Any]]:
    async def incidents_of(repo_ids: list[int]) -> list[list[dict[str, Any]]]:
        rows = await layer.query(
            "select", {"table": "bench_incidents", "filters": {"repository_id": {"in": repo_ids}}}
        )
        grouped: dict[int, list[dict[str, Any]]] = {r: [] for r in repo_ids}
        for row in rows:
            grouped[row["repository_id"]].append(row)
        return [grouped[r] for r in repo_ids]

    loader: DataLoader[int, list[dict[str, Any]]] = DataLoader(incidents_of)
    repos = await layer.query("select", {"table": "bench_repositories", "order_by": "id"})
    children = await loader.load_many(r["id"] for r in repos)
    return [
        {"repository": r["full_name"], "incidents": [i["id"] for i in kids]}
        for r, kids in zip(repos, children, strict=True)
    ]


Projection = Callable[[UnifiedDataLayer], Awaitable[list[dict[str, Any]]]]
CASES: list[tuple[str, str, Projection]] = [
    ("1,000 incidents → repository", "per row", feed_per_row),
    ("1,000 incidents → repository", "DataLoader", feed_with_loader),
    ("100 repositories → 10 incidents", "per row", board_per_row),
    ("100 repositories → 10 incidents", "DataLoader", board_with_loader),
]


async def measure(backend: str, engine: AsyncEngine, repeat: int) -> list[tuple[str, ...]]:
    await seed(engine)
    counter = StatementCounter(engine)
    layer = UnifiedDataLayer(postgres_conn=engine, tables=BenchModel.metadata)
    rows: list[tuple[str, ...]] = []
    reference: dict[str, list[dict[str, Any]]] = {}
    for scenario, mode, projection in CASES:
        await projection(layer)  # warm the pool and statement caches
        timings: list[float] = []
        statements = 0
        for _ in range(repeat):
            before = counter.count
            started = time.perf_counter()
            result = await projection(layer)
            timings.append(time.perf_counter() - started)
            statements = counter.count - before
        # Both ways must build the same read model, or the comparison means nothing.
        if reference.setdefault(scenario, result) != result:
            raise SystemExit(f"{scenario}: per-row and DataLoader read models differ")
        nested = "incidents" in result[0]
        items = sum(len(r["incidents"]) for r in result) if nested else len(result)
        rows.append(
            (backend, scenario, mode, str(items), str(statements),
             f"{statistics.median(timings) * 1000:.1f}")
        )  # fmt: skip
    return rows


async def sqlite_rows(repeat: int) -> list[tuple[str, ...]]:
    with tempfile.TemporaryDirectory() as scratch:
        engine = create_async_engine(f"sqlite+aiosqlite:///{Path(scratch) / 'bench.db'}")
        try:
            return await measure("sqlite", engine, repeat)
        finally:
            await engine.dispose()


async def postgres_rows(url: str, repeat: int) -> list[tuple[str, ...]]:
    schema = f"bench_dataloader_{uuid.uuid4().hex[:10]}"
    base = create_async_engine(async_database_url(url))
    engine = base.execution_options(schema_translate_map={None: schema})
    async with base.begin() as conn:
        await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        return await measure("postgresql", engine, repeat)
    finally:
        async with base.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await base.dispose()


def print_table(rows: list[tuple[str, ...]]) -> None:
    header = ("backend", "projection", "read", "items", "queries", "median ms")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for line in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)))


async def main(repeat: int) -> None:
    rows = await sqlite_rows(repeat)
    url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if url:
        rows += await postgres_rows(url, repeat)
    print_table(rows)
    if not url:
        print("\nPostgreSQL skipped: set TEST_DATABASE_URL or DATABASE_URL to include it.")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per case (median)")
    asyncio.run(main(parser.parse_args().repeat))
