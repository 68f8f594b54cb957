"""Benchmark: webhook ingest, webhooks/s and p50/p99 latency of signed 11 kB GitHub deliveries.

Three servers, one at a time, each a uvicorn process on 127.0.0.1 (uvloop, httptools, one
worker process, warnings-only logging), loaded the same way in the same run:
  * ceiling — a bare FastAPI endpoint that reads the body and checks the HMAC (bench/_ceiling.py);
  * embedded — `kintsugi serve` on the defaults: a SQLite file and the in-process queue;
  * postgres — `kintsugi serve` on PostgreSQL + Redis, with a `kintsugi worker` process taking
    the jobs off the arq queue as they come.
Two loads per server: closed loop at full speed (wrk, N keep-alive connections) and open loop
at a fixed 200 req/s (latency counted from when each request was due, wrk2-style).
Targets: Kintsugi's throughput >= 50% of the ceiling; p99 <= 20 ms at 200 req/s on PostgreSQL.

    .venv/bin/python bench/bench_ingest.py [--seconds 10] [--connections 32] [--rate 200] [--runs 1]

Needs wrk (`apt-get install wrk`), PostgreSQL (BENCH_DATABASE_URL, default
postgresql://postgres@127.0.0.1:5432/test; a database `kintsugi_bench_ingest` is created and
dropped) and Redis (BENCH_REDIS_URL, default redis://127.0.0.1:6379/7; that DB is flushed).
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from _backends import REDIS_URL, bench_database, bench_redis, count_rows, execute
from _load import (
    GITHUB_SECRET,
    OPEN_LOOP_WARM_UP,
    PAYLOAD_BYTES,
    SENTRY_SECRET,
    Delivery,
    LoadResult,
    issue_comment_delivery,
    markdown_table,
    run_fixed_rate,
    run_wrk,
    wrk_available,
)
from _processes import CpuMeter, free_port, kintsugi_command, running

WEBHOOK_PATH = "/webhooks/github"
DATABASE = "kintsugi_bench_ingest"
QUEUE = "kintsugi-bench:ingest"
THROUGHPUT_TARGET = 0.5
P99_TARGET_MS = 20.0
WARM_UP_SECONDS = 2
WARM_UP_CONNECTIONS = 8
# The services each configuration shares, measured by process name (their CPU while a row runs).
SERVICES = {"PostgreSQL": "postgres", "Redis": "redis-server"}


@dataclass
class System:
    """One server under load, and how to count what it stored and handled."""

    name: str
    label: str
    closed: list[LoadResult] = field(default_factory=list)
    fixed: list[LoadResult] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # Per closed-loop run: ms of CPU per accepted webhook, by process.
    cpu: list[dict[str, float]] = field(default_factory=list)


@dataclass
class Running:
    """A server under test: its processes (label -> pid) and, for Kintsugi, how many events
    are stored and how many of their jobs are done."""

    processes: dict[str, int]
    counts: Callable[[], tuple[int, int]] = lambda: (0, 0)


def common_env(data_dir: Path) -> dict[str, str]:
    return {
        "GITHUB_WEBHOOK_SECRET": GITHUB_SECRET,
        "SENTRY_WEBHOOK_SECRET": SENTRY_SECRET,
        "ENVIRONMENT": "production",
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": "",
        "REDIS_URL": "",
        "QUEUE_NAME": QUEUE,
        "LOG_LEVEL": "WARNING",
    }


@contextmanager
def ceiling_server(scratch: Path, port: int) -> Iterator[Running]:
    argv = [
        sys.executable, "-m", "uvicorn", "--app-dir", str(Path(__file__).parent), "--factory",
        "_ceiling:create_app", "--host", "127.0.0.1", "--port", str(port),
        "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    with running(
        argv,
        env=common_env(scratch),
        cwd=scratch,
        ready_url=f"http://127.0.0.1:{port}/healthz",
    ) as server:
        yield Running({"server": server.pid})


@contextmanager
def embedded_server(scratch: Path, port: int) -> Iterator[Running]:
    data_dir = scratch / f"embedded-{port}"
    argv = kintsugi_command("serve", "--host", "127.0.0.1", "--port", str(port))
    with running(
        argv,
        env=common_env(data_dir),
        cwd=scratch,
        ready_url=f"http://127.0.0.1:{port}/healthz",
    ) as server:

        def counts() -> tuple[int, int]:
            with sqlite3.connect(data_dir / "kintsugi.db") as db:
                stored = db.execute("SELECT count(*) FROM events").fetchone()[0]
                done = db.execute("SELECT count(*) FROM outbox WHERE status = 'done'").fetchone()
            return int(stored), int(done[0])

        yield Running({"server": server.pid}, counts)


@contextmanager
def postgres_server(scratch: Path, port: int, database_url: str) -> Iterator[Running]:
    env = {**common_env(scratch), "DATABASE_URL": database_url, "REDIS_URL": REDIS_URL}
    # Each run starts from empty tables, so runs compare like with like.
    asyncio.run(execute(database_url, "TRUNCATE events, outbox, checkpoints RESTART IDENTITY"))
    with ExitStack() as stack:
        worker = stack.enter_context(running(kintsugi_command("worker"), env=env, cwd=scratch))
        server = stack.enter_context(
            running(
                kintsugi_command("serve", "--host", "127.0.0.1", "--port", str(port)),
                env=env,
                cwd=scratch,
                ready_url=f"http://127.0.0.1:{port}/healthz",
            )
        )

        def counts() -> tuple[int, int]:
            stored = count_rows(database_url, "SELECT count(*) FROM events")
            done = count_rows(database_url, "SELECT count(*) FROM outbox WHERE status = 'done'")
            return asyncio.run(stored), asyncio.run(done)

        yield Running({"server": server.pid, "worker": worker.pid}, counts)


def load(
    system: System,
    port: int,
    delivery: Delivery,
    args: argparse.Namespace,
    scratch: Path,
    server: Running,
) -> None:
    base = f"http://127.0.0.1:{port}"
    counts = server.counts
    warm = run_wrk(
        base,
        WEBHOOK_PATH,
        delivery,
        connections=WARM_UP_CONNECTIONS,
        seconds=WARM_UP_SECONDS,
        scratch=scratch,
    )
    meter = CpuMeter(server.processes, SERVICES)
    closed = run_wrk(
        base,
        WEBHOOK_PATH,
        delivery,
        connections=args.connections,
        seconds=args.seconds,
        scratch=scratch,
    )
    used = meter.read()
    system.cpu.append({name: 1000 * s / max(closed.accepted, 1) for name, s in used.items()})
    kept_up = ""
    if system.name != "ceiling":
        # Whether the jobs kept up: a queue that falls behind makes ingest look cheaper.
        stored, done = counts()
        kept_up = f"; as the closed loop ended, {done} of {stored} stored events' jobs were done"
        # The open-loop row measures its own load, not the closed loop's backlog of jobs.
        wait_for_drain(counts, args.drain_seconds)
    fixed = asyncio.run(
        run_fixed_rate(base + WEBHOOK_PATH, delivery, rate=args.rate, seconds=args.seconds)
    )
    system.closed.append(closed)
    system.fixed.append(fixed)
    if system.name == "ceiling":
        return
    # Every accepted delivery must be stored, and its job must run: wait for the queue to drain.
    accepted = warm.accepted + closed.accepted + fixed.accepted + OPEN_LOOP_WARM_UP
    # wrk stops counting with one request in flight per connection; the server stores those too.
    in_flight = WARM_UP_CONNECTIONS + args.connections
    started = time.monotonic()
    stored, done = wait_for_drain(counts, args.drain_seconds)
    system.notes.append(
        f"{accepted} accepted (202) and up to {in_flight} in flight as wrk stopped, "
        f"{stored} stored, {done} jobs done {time.monotonic() - started:.1f} s after the load "
        f"stopped{kept_up}"
    )


def wait_for_drain(counts: Callable[[], tuple[int, int]], seconds: float) -> tuple[int, int]:
    """Wait until every stored event's job is done (or `seconds` pass); the last counts."""
    started = time.monotonic()
    stored, done = counts()
    while done < stored and time.monotonic() - started < seconds:
        time.sleep(0.5)
        stored, done = counts()
    return stored, done


def median(values: list[float]) -> float:
    return statistics.median(values)


def report(systems: list[System], args: argparse.Namespace) -> str:
    ceiling = median([r.per_second for r in systems[0].closed])
    rows = []
    for system in systems:
        for kind, results in (
            (f"closed loop, {args.connections} connections", system.closed),
            (f"open loop, {args.rate:.0f} req/s", system.fixed),
        ):
            rate = median([r.per_second for r in results])
            ratio = f"{rate / ceiling:.0%}" if results is system.closed else "—"
            rows.append(
                [
                    system.label,
                    kind,
                    f"{rate:,.0f}",
                    f"{median([r.p50_ms for r in results]):.1f}",
                    f"{median([r.p99_ms for r in results]):.1f}",
                    f"{median([r.max_ms for r in results]):.1f}",
                    ratio,
                    str(sum(r.failed for r in results)),
                ]
            )
    header = ["server", "load", "webhooks/s", "p50 ms", "p99 ms", "max ms", "of ceiling", "non-202"]
    lines = [
        f"Signed {args.payload_bytes:,}-byte issue_comment deliveries, {args.seconds:.0f} s per "
        f"row, median of {args.runs} run(s).",
        "",
        markdown_table(header, rows),
        "",
    ]
    for system in systems[1:]:
        share = median([r.per_second for r in system.closed]) / ceiling
        verdict = "met" if share >= THROUGHPUT_TARGET else "MISSED"
        lines.append(f"- {system.label}: {share:.0%} of the ceiling's throughput ({verdict}).")
    p99 = median([r.p99_ms for r in systems[2].fixed])
    verdict = "met" if p99 <= P99_TARGET_MS else "MISSED"
    lines.append(
        f"- p99 at {args.rate:.0f} req/s on PostgreSQL: {p99:.1f} ms, target "
        f"<= {P99_TARGET_MS:.0f} ms ({verdict})."
    )
    for system in systems[1:]:
        lines += [f"- {system.label}, run {n}: {note}" for n, note in enumerate(system.notes, 1)]
    return "\n".join([*lines, "", cpu_table(systems, args)])


def cpu_table(systems: list[System], args: argparse.Namespace) -> str:
    """Where the closed loop's CPU went: ms per accepted webhook by process (medians of runs)."""
    columns = ["server", "worker", *SERVICES, "load generator"]
    rows = []
    for system in systems:
        cells = [median([run.get(name, 0.0) for run in system.cpu]) for name in columns]
        rows.append(
            [system.label, *(f"{c:.2f}" if c >= 0.005 else "—" for c in cells), f"{sum(cells):.2f}"]
        )
    return "\n".join(
        [
            f"CPU per accepted webhook in the closed loop ({args.connections} connections), ms:",
            "",
            markdown_table(["configuration", *columns, "total"], rows),
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each load row")
    parser.add_argument("--connections", type=int, default=32, help="closed-loop connections")
    parser.add_argument("--rate", type=float, default=200.0, help="open-loop requests/s")
    parser.add_argument("--runs", type=int, default=1, help="report the median of this many")
    parser.add_argument("--payload-bytes", type=int, default=PAYLOAD_BYTES)
    parser.add_argument("--drain-seconds", type=float, default=60.0)
    args = parser.parse_args()
    if not wrk_available():
        raise SystemExit("wrk is needed for the closed-loop rows: apt-get install wrk")
    delivery = issue_comment_delivery(args.payload_bytes)
    systems = [
        System("ceiling", "bare FastAPI + HMAC (ceiling)"),
        System("embedded", "Kintsugi, SQLite + in-process queue"),
        System("postgres", "Kintsugi, PostgreSQL + Redis/arq"),
    ]
    with (
        tempfile.TemporaryDirectory(prefix="kintsugi-bench-ingest-") as folder,
        bench_database(DATABASE) as database_url,
        bench_redis() as redis,
    ):
        scratch = Path(folder)
        for _ in range(args.runs):
            for system in systems:
                port = free_port()
                if system.name == "ceiling":
                    server = ceiling_server(scratch, port)
                elif system.name == "embedded":
                    server = embedded_server(scratch, port)
                else:
                    server = postgres_server(scratch, port, database_url)
                with server as running_server:
                    load(system, port, delivery, args, scratch, running_server)
            redis.flushdb()
    print(report(systems, args))


if __name__ == "__main__":
    main()
