"""Benchmark: the least CPU a stored-and-queued webhook can cost on this machine.

The ingest target (>= 50% of the ceiling's webhooks/s) is a CPU budget: with every process on
the same cores, N cores serve 50% of the ceiling only if everything a webhook costs, in every
process together, fits in N / (0.5 x ceiling rate). This script measures the parts no
implementation of the design can leave out, each the cheapest way it knows, and adds them up:

  * HTTP + HMAC — the ceiling itself (bench/_ceiling.py under wrk), server and load generator;
  * the body parsed (orjson) and validated with githubkit's model, as every delivery is;
  * the payload stored — 11 kB JSON rows inserted 32 to a statement into a bare PostgreSQL
    table (uuid key, json payload: no outbox, no indexes, no stream versions), and the same
    into a SQLite file in WAL mode (the embedded default's pragmas), client and server;
  * one arq job per webhook — enqueued 32 to a script call (Kintsugi's `ArqQueue`, cheaper
    than arq's `enqueue_job`), run as a no-op on uvloop by Kintsugi's arq worker class
    (`WakeableWorker`: poll and claim in one script, cheaper than arq's `Worker`): the
    enqueuing client, the worker and Redis. The job carries only an id (no payload).

    .venv/bin/python bench/bench_ingest_floor.py [--seconds 10] [--jobs 20000]

Needs wrk, PostgreSQL and Redis, as bench_ingest.py does.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import uvloop
from _backends import REDIS_URL, bench_database, bench_redis
from _load import issue_comment_delivery, markdown_table, run_wrk, wrk_available
from _processes import CpuMeter, cpu_seconds_named, free_port
from arq.connections import RedisSettings
from bench_ingest import SERVICES, THROUGHPUT_TARGET, WEBHOOK_PATH, ceiling_server

from app import jsoncodec
from app.github.payloads import validate_github_payload
from workers.arq_worker import WakeableWorker
from workers.queue import ArqQueue, Handover

DATABASE = "kintsugi_bench_floor"
QUEUE = "kintsugi-bench:floor"
GROUP = 32
HTTP = "HTTP + HMAC (the ceiling)"
STORED_POSTGRES = "payload stored in PostgreSQL"
STORED_SQLITE = "payload stored in SQLite (in the server process)"
ARQ_JOB = "one arq job (no-op, id only)"
PARSED = "body parsed and validated (orjson, githubkit)"


@dataclass(frozen=True)
class Part:
    """One unavoidable part of a webhook's cost: ms of CPU per webhook, by process."""

    name: str
    cpu: dict[str, float]

    @property
    def total(self) -> float:
        return sum(self.cpu.values())


@contextmanager
def measured(services: dict[str, str], per: Callable[[], int]) -> Iterator[dict[str, float]]:
    """CPU of this process and of `services` over the block, in ms per `per()` units."""
    result: dict[str, float] = {}
    own = time.process_time()
    before = {label: cpu_seconds_named(name) for label, name in services.items()}
    yield result
    count = max(per(), 1)
    result["client"] = 1000 * (time.process_time() - own) / count
    for label, name in services.items():
        result[label] = 1000 * (cpu_seconds_named(name) - before[label]) / count


def http_floor(args: argparse.Namespace, scratch: Path) -> tuple[float, Part]:
    delivery = issue_comment_delivery()
    port = free_port()
    with ceiling_server(scratch, port) as server:
        base = f"http://127.0.0.1:{port}"
        run_wrk(base, WEBHOOK_PATH, delivery, connections=8, seconds=2, scratch=scratch)
        meter = CpuMeter(server.processes, {})
        load = run_wrk(
            base, WEBHOOK_PATH, delivery, connections=32, seconds=args.seconds, scratch=scratch
        )
        used = meter.read()
    cpu = {name: 1000 * seconds / max(load.accepted, 1) for name, seconds in used.items()}
    return load.per_second, Part(HTTP, cpu)


def parse_floor(body: bytes, rounds: int) -> Part:
    with measured({}, lambda: rounds) as cpu:
        for _ in range(rounds):
            validate_github_payload("issue_comment", jsoncodec.loads(body))
    return Part(PARSED, {"server": cpu["client"]})


async def postgres_floor(url: str, payload: str, rows: int) -> Part:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute("CREATE TABLE floor_payloads (id uuid PRIMARY KEY, payload json)")
        statement = "INSERT INTO floor_payloads SELECT * FROM unnest($1::uuid[], $2::json[])"
        with measured({"PostgreSQL": SERVICES["PostgreSQL"]}, lambda: rows) as cpu:
            for _ in range(rows // GROUP):
                ids = [uuid.uuid4() for _ in range(GROUP)]
                await connection.execute(statement, ids, [payload] * GROUP)
    finally:
        await connection.close()
    return Part(STORED_POSTGRES, cpu)


def sqlite_floor(folder: Path, payload: str, rows: int) -> Part:
    database = sqlite3.connect(folder / "floor.db", isolation_level=None)
    database.execute("PRAGMA journal_mode=WAL")
    database.execute("PRAGMA synchronous=NORMAL")
    database.execute("CREATE TABLE floor_payloads (id TEXT PRIMARY KEY, payload TEXT)")
    with measured({}, lambda: rows) as cpu:
        for _ in range(rows // GROUP):
            database.execute("BEGIN")
            database.executemany(
                "INSERT INTO floor_payloads VALUES (?, ?)",
                [(str(uuid.uuid4()), payload) for _ in range(GROUP)],
            )
            database.execute("COMMIT")
    database.close()
    return Part(STORED_SQLITE, cpu)


async def handle_event(ctx: dict[str, Any], event_id: str, event: Any = None) -> None:
    """The no-op job: the queue's own work per job, and nothing else."""


async def enqueue_jobs(jobs: int) -> dict[str, float]:
    queue = ArqQueue(REDIS_URL, queue_name=QUEUE)
    try:
        with measured({"Redis": SERVICES["Redis"]}, lambda: jobs) as cpu:
            for _ in range(jobs // GROUP):
                ids = [uuid.uuid4() for _ in range(GROUP)]
                await queue.enqueue_many([Handover(i, str(i)) for i in ids])
    finally:
        await queue.close()
    return cpu


async def run_jobs(jobs: int) -> dict[str, float]:
    """The jobs run by Kintsugi's worker class (arq's, with a one-round-trip poll and claim:
    cheaper per job than arq's own), stopped once all are done."""
    worker = WakeableWorker(
        functions=[handle_event],  # type: ignore[list-item]
        redis_settings=RedisSettings.from_dsn(REDIS_URL),
        queue_name=QUEUE,
        poll_delay=0.5,
        keep_result=3600,
        max_jobs=10,
        handle_signals=False,
    )
    with measured({"Redis": SERVICES["Redis"]}, lambda: jobs) as cpu:
        running = asyncio.create_task(worker.main())
        while worker.jobs_complete < jobs and not running.done():  # noqa: ASYNC110  # arq counts
            await asyncio.sleep(0.05)
    running.cancel()
    await asyncio.gather(running, return_exceptions=True)
    await worker.close()
    if worker.jobs_complete != jobs:
        raise SystemExit(f"the worker ran {worker.jobs_complete} of {jobs} jobs")
    return cpu


def arq_floor(jobs: int) -> Part:
    logging.getLogger("arq").setLevel(logging.WARNING)
    enqueued = asyncio.run(enqueue_jobs(jobs))
    ran = uvloop.run(run_jobs(jobs))
    return Part(
        ARQ_JOB,
        {"enqueuing client": enqueued["client"], "worker": ran["client"],
         "Redis": enqueued["Redis"] + ran["Redis"]},
    )  # fmt: skip


def report(ceiling_rate: float, http: Part, parts: list[Part], cores: int) -> str:
    target_rate = THROUGHPUT_TARGET * ceiling_rate
    budget_total = 1000 * cores / target_rate
    budget_process = 1000 / target_rate
    rows = [[part.name, process, f"{ms:.3f}"] for part in [http, *parts] for process, ms in
            part.cpu.items() if ms >= 0.0005]  # fmt: skip
    by_name = {part.name: part for part in parts}
    parsed = by_name[PARSED].total
    postgres = http.total + parsed + by_name[STORED_POSTGRES].total + by_name[ARQ_JOB].total
    embedded = http.cpu["server"] + parsed + by_name[STORED_SQLITE].total
    lines = [
        f"The ceiling: {ceiling_rate:,.0f} webhooks/s; {THROUGHPUT_TARGET:.0%} of it is "
        f"{target_rate:,.0f}/s. On {cores} cores that leaves {budget_total:.3f} ms of CPU per "
        f"webhook for every process together, and {budget_process:.3f} ms for one process "
        "(one core).",
        "",
        markdown_table(["part", "process", "ms CPU per webhook"], rows),
        "",
        f"- PostgreSQL + Redis/arq: HTTP + parsing + stored payload + one arq job = "
        f"{postgres:.3f} ms "
        f"against {budget_total:.3f} ms for all processes "
        f"({'fits' if postgres <= budget_total else 'does NOT fit'}).",
        f"- Embedded (one process): ceiling's server + parsing + SQLite write = {embedded:.3f} ms "
        "against "
        f"{budget_process:.3f} ms for the server process "
        f"({'fits' if embedded <= budget_process else 'does NOT fit'}), before the event, the "
        "outbox row, running the job and marking it done.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the ceiling run")
    parser.add_argument("--jobs", type=int, default=20_000, help="rows stored and jobs run")
    args = parser.parse_args()
    if not wrk_available():
        raise SystemExit("wrk is needed for the ceiling: apt-get install wrk")
    jobs = args.jobs - args.jobs % GROUP
    payload = issue_comment_delivery().body.decode()
    with (
        tempfile.TemporaryDirectory(prefix="kintsugi-bench-floor-") as folder,
        bench_database(DATABASE) as database_url,
        bench_redis(),
    ):
        scratch = Path(folder)
        ceiling_rate, http = http_floor(args, scratch)
        parts = [
            parse_floor(payload.encode(), jobs),
            asyncio.run(postgres_floor(database_url, payload, jobs)),
            sqlite_floor(scratch, payload, jobs),
            arq_floor(jobs),
        ]
    print(report(ceiling_rate, http, parts, os.cpu_count() or 1))


if __name__ == "__main__":
    main()
