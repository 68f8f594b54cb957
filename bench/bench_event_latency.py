"""Benchmark: event to handler, p50/p99 from a webhook's 202 to its handler starting, through arq,
side by side with Celery on the same Redis running the same no-op job.

Rows, all in one run, each N events sent one after another at a modest rate (default 200 at
50/s) so queueing does not dominate:
  * Kintsugi: a signed GitHub delivery to `kintsugi serve` (PostgreSQL + Redis) → stored and
    enqueued → 202 → arq → `bench/_probe_worker.py`, Kintsugi's worker whose only handler records
    `time.time()` as it starts; measured from the client receiving the 202;
  * arq alone: `enqueue_job` of a bare job plus the wake-up token on the same worker, measured
    from `enqueue_job` returning — what the queue costs without Kintsugi's outbox and events;
  * Celery (prefork and solo pools, concurrency 1): `send_task` of the same no-op job, measured
    from `send_task` returning.
The arq rows repeat for each WORKER_POLL_SECONDS given (default 0.005, 0.05 and 0.5): workers
block on a wake-up list between polls, so the timer should hardly matter;
each worker's idle CPU is measured from /proc/<pid>/stat over 10 s with nothing to do.
Target: Kintsugi's p50 below Celery's.

    .venv/bin/python bench/bench_event_latency.py [--events 200] [--rate 50] \\
        [--polls 0.005,0.05,0.5] [--idle-seconds 10]

Needs PostgreSQL (BENCH_DATABASE_URL; database `kintsugi_bench_latency` is created and dropped)
and Redis (BENCH_REDIS_URL, default redis://127.0.0.1:6379/7; that DB is flushed).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import redis
from _backends import REDIS_URL, bench_database, bench_redis
from _celery_probe import QUEUE as CELERY_QUEUE
from _celery_probe import READY as CELERY_READY
from _celery_probe import TASK, celery_app
from _load import GITHUB_SECRET, SENTRY_SECRET, issue_comment_delivery, markdown_table, percentile
from _probe_worker import READY as ARQ_READY
from _processes import BENCH, free_port, idle_cpu_percent, kintsugi_command, running
from arq.connections import RedisSettings, create_pool

from workers.queue import wake_key

DATABASE = "kintsugi_bench_latency"
ARQ_QUEUE = "kintsugi-bench:latency"
STARTS_KEY = "kintsugi-bench:started"


@dataclass(frozen=True)
class Row:
    path: str
    measured: str
    poll: str
    latencies_ms: list[float]
    idle_cpu: str

    def cells(self) -> list[str]:
        ordered = sorted(self.latencies_ms)
        return [
            self.path,
            self.measured,
            self.poll,
            str(len(ordered)),
            f"{percentile(ordered, 50):.1f}",
            f"{percentile(ordered, 99):.1f}",
            f"{ordered[-1]:.1f}",
            self.idle_cpu,
        ]


def paced(events: int, rate: float) -> Iterator[int]:
    """Yields 0..events-1, each no earlier than its slot at `rate` per second."""
    start = time.monotonic()
    for n in range(events):
        delay = start + n / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        yield n


def collect(client: redis.Redis, sent: dict[str, float], timeout: float = 30.0) -> list[float]:
    """Milliseconds from each token's send to its recorded start, once all have started."""
    deadline = time.monotonic() + timeout
    while int(client.llen(STARTS_KEY)) < len(sent) and time.monotonic() < deadline:  # type: ignore[arg-type]  # sync client
        time.sleep(0.05)
    started = {}
    entries: list[bytes] = client.lrange(STARTS_KEY, 0, -1)  # type: ignore[assignment]  # sync client
    for entry in entries:
        token, moment = entry.decode().split()
        started[token] = float(moment)
    client.delete(STARTS_KEY)
    missing = set(sent) - set(started)
    if missing:
        raise SystemExit(f"{len(missing)} of {len(sent)} jobs never started within {timeout} s")
    return [(started[token] - sent[token]) * 1000 for token in sent]


def webhook_to_handler(base_url: str, events: int, rate: float, client: redis.Redis) -> list[float]:
    delivery = issue_comment_delivery()
    sent: dict[str, float] = {}
    with httpx.Client(base_url=base_url, timeout=10.0) as http:
        for _ in paced(events, rate):
            response = http.post(
                "/webhooks/github",
                content=delivery.body,
                headers=delivery.headers(str(uuid.uuid4())),
            )
            acknowledged = time.time()
            if response.status_code != 202:
                raise SystemExit(f"webhook answered {response.status_code}: {response.text}")
            sent[response.json()["event_id"]] = acknowledged
    return collect(client, sent)


def enqueue_to_job(events: int, rate: float, client: redis.Redis) -> list[float]:
    async def send() -> dict[str, float]:
        pool = await create_pool(RedisSettings.from_dsn(REDIS_URL), default_queue_name=ARQ_QUEUE)
        sent: dict[str, float] = {}
        try:
            start = time.monotonic()
            for n in range(events):
                await asyncio.sleep(max(0.0, start + n / rate - time.monotonic()))
                token = uuid.uuid4().hex
                await pool.enqueue_job("probe_job", token)
                await pool.lpush(wake_key(ARQ_QUEUE), 1)  # as ArqQueue.enqueue does
                sent[token] = time.time()
        finally:
            await pool.aclose()
        return sent

    return collect(client, asyncio.run(send()))


def send_task_to_start(events: int, rate: float, client: redis.Redis) -> list[float]:
    app = celery_app(REDIS_URL, STARTS_KEY)
    sent: dict[str, float] = {}
    for _ in paced(events, rate):
        token = uuid.uuid4().hex
        app.send_task(TASK, args=[token], queue=CELERY_QUEUE)
        sent[token] = time.time()
    return collect(client, sent)


def env_for(scratch: Path, database_url: str, **extra: str) -> dict[str, str]:
    return {
        "GITHUB_WEBHOOK_SECRET": GITHUB_SECRET,
        "SENTRY_WEBHOOK_SECRET": SENTRY_SECRET,
        "ENVIRONMENT": "production",
        "DATA_DIR": str(scratch),
        "DATABASE_URL": database_url,
        "REDIS_URL": REDIS_URL,
        "QUEUE_NAME": ARQ_QUEUE,
        "LOG_LEVEL": "WARNING",
        "BENCH_STARTS_KEY": STARTS_KEY,
        **extra,
    }


def measure_idle(pid: int, seconds: float) -> str:
    time.sleep(1.0)  # let the last job's bookkeeping finish
    return f"{idle_cpu_percent(pid, seconds):.1f}%"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--rate", type=float, default=50.0, help="events per second")
    parser.add_argument("--polls", default="0.005,0.05,0.5", help="WORKER_POLL_SECONDS values")
    parser.add_argument("--idle-seconds", type=float, default=10.0)
    args = parser.parse_args()
    polls = [float(value) for value in args.polls.split(",")]
    rows: list[Row] = []
    python = sys.executable
    with (
        tempfile.TemporaryDirectory(prefix="kintsugi-bench-latency-") as folder,
        bench_database(DATABASE) as database_url,
        bench_redis() as client,
    ):
        scratch = Path(folder)
        port = free_port()
        env = env_for(scratch, database_url)
        serve = kintsugi_command("serve", "--host", "127.0.0.1", "--port", str(port))
        base_url = f"http://127.0.0.1:{port}"
        with running(serve, env=env, cwd=scratch, ready_url=f"{base_url}/healthz"):
            for poll in polls:
                worker_env = {**env, "WORKER_POLL_SECONDS": str(poll)}
                probe = [python, str(BENCH / "_probe_worker.py")]
                with running(probe, env=worker_env, cwd=scratch, ready_line=ARQ_READY) as worker:
                    webhook_to_handler(base_url, 20, args.rate, client)  # warm-up
                    kintsugi = webhook_to_handler(base_url, args.events, args.rate, client)
                    bare = enqueue_to_job(args.events, args.rate, client)
                    idle = measure_idle(worker.pid, args.idle_seconds)
                label = f"{poll * 1000:g} ms"
                rows.append(Row("Kintsugi → arq", "202 → handler starts", label, kintsugi, idle))
                rows.append(Row("arq alone", "enqueue_job → job starts", label, bare, idle))
        for pool in ("prefork", "solo"):
            celery = [python, str(BENCH / "_celery_probe.py"), pool]
            with running(celery, env=env, cwd=scratch, ready_line=CELERY_READY) as worker:
                send_task_to_start(20, args.rate, client)  # warm-up
                latencies = send_task_to_start(args.events, args.rate, client)
                idle = measure_idle(worker.pid, args.idle_seconds)
            rows.append(
                Row(f"Celery, {pool} pool", "send_task → task starts", "—", latencies, idle)
            )
    print(report(rows, args, polls))


def report(rows: list[Row], args: argparse.Namespace, polls: list[float]) -> str:
    header = ["path", "measured", "worker poll", "events", "p50 ms", "p99 ms", "max ms", "idle CPU"]
    lines = [
        f"{args.events} events per row at {args.rate:.0f}/s; idle CPU is the worker's (with its "
        f"children) over {args.idle_seconds:.0f} s with nothing queued, as a share of one core.",
        "",
        markdown_table(header, [row.cells() for row in rows]),
        "",
    ]
    p50: Callable[[Row], float] = lambda row: percentile(sorted(row.latencies_ms), 50)  # noqa: E731
    best_celery = min(p50(row) for row in rows if row.path.startswith("Celery"))
    default = next(row for row in rows if row.path.startswith("Kintsugi"))
    verdict = "met" if p50(default) < best_celery else "MISSED"
    lines.append(
        f"- Kintsugi p50 at poll {polls[0] * 1000:g} ms: {p50(default):.1f} ms against Celery's "
        f"best {best_celery:.1f} ms ({verdict})."
    )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
