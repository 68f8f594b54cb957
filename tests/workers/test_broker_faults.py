"""Broker faults, as an operator meets them: a `kintsugi worker` process killed, a Redis of the
test's own stopped for ten seconds and started again empty, while signed deliveries stream in."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as aioredis

from app.database import create_engine, upgrade
from app.events import OutboxStatus
from app.events.store import EventStore
from app.main import create_app
from app.services import open_services
from tests.api.conftest import Hooks, make_settings
from tests.conftest import run_aside, scratch_postgres
from tests.workers.fault_handlers import RUNS_FILE
from tests.workers.test_arq import OwnRedis

pytestmark = [pytest.mark.redis, pytest.mark.postgres, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
OUTAGE_SECONDS = 10.0
RECOVERY_LIMIT_SECONDS = 30.0


@pytest.fixture
def fault_database() -> Iterator[str]:
    """A migrated PostgreSQL database of this test's own: its workers see no other test's rows."""

    async def migrate(url: str) -> None:
        engine = create_engine(url)
        await upgrade(engine)
        await engine.dispose()

    with scratch_postgres("kintsugi_faults") as url:
        run_aside(migrate(url))
        yield url


class WorkerProcess:
    """`kintsugi worker` as its own process, logging JSON lines to a file."""

    def __init__(self, directory: Path, env: dict[str, str], name: str) -> None:
        self.directory = directory
        self.env = env
        self.log = directory / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "app.cli", "worker"],
                cwd=self.directory,
                env=self.env,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def messages(self) -> list[str]:
        found = []
        for line in self.log.read_text().splitlines():
            try:
                found.append(str(json.loads(line)["message"]))
            except (ValueError, KeyError):
                found.append(line)
        return found

    async def ready(self, within: float = 30.0) -> None:
        deadline = time.monotonic() + within
        while "worker ready" not in self.messages():
            assert self.process is not None and self.process.poll() is None, self.log.read_text()
            assert time.monotonic() < deadline, "the worker did not start in time"
            await asyncio.sleep(0.05)

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> int:
        assert self.process is not None
        self.process.send_signal(sig)
        return self.process.wait(timeout=20)


def worker_env(tmp_path: Path, database_url: str, redis_url: str, queue: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.endswith("_SECRET") and k not in {"DATABASE_URL", "REDIS_URL"}
    }
    return {
        **env,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "QUEUE_NAME": queue,
        "DATA_DIR": str(tmp_path / "data"),
        "LOG_JSON": "true",
        "EVENT_HANDLER_HOOKS": "tests.workers.fault_handlers:register",
        RUNS_FILE: str(tmp_path / "runs.txt"),
        "PYTHONPATH": str(ROOT),
    }


async def unfinished(store: EventStore) -> set[uuid.UUID]:
    entries = [
        *(await store.outbox_list(OutboxStatus.PENDING, limit=100_000)),
        *(await store.outbox_list(OutboxStatus.ENQUEUED, limit=100_000)),
    ]
    return {entry.event_id for entry in entries}


async def settles(
    condition: Callable[[], Awaitable[bool]], within: float, every: float = 0.1
) -> bool:
    """Whether `condition` holds within `within` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await condition():
            return True
        await asyncio.sleep(every)
    return await condition()


def reconnects(metrics: str) -> float:
    found = re.search(r'^kintsugi_queue_reconnects_total\{process="server"\} (\S+)$', metrics, re.M)
    return float(found.group(1)) if found else 0.0


async def stream(
    hooks: Hooks, until: float, interval: float, answers: list[dict[str, Any]]
) -> None:
    """Signed push deliveries, each delivered twice, until `until` (monotonic); their answers
    go to `answers` as they come."""
    n = 0
    while time.monotonic() < until:
        delivery = f"fault-delivery-{n}"
        payload = {"ref": f"refs/heads/branch-{n}"}
        first = await hooks.github("push", payload, delivery=delivery)
        again = await hooks.github("push", payload, delivery=delivery)
        answers.append(
            {
                "codes": (first.status_code, again.status_code),
                "ids": (first.json()["event_id"], again.json()["event_id"]),
                "at": time.monotonic(),
            }
        )
        n += 1
        await asyncio.sleep(interval)


async def test_deliveries_survive_a_killed_worker_and_a_redis_restarted_empty(
    redis_url: str, fault_database: str, tmp_path: Path
) -> None:
    own = OwnRedis(tmp_path)
    own.start()
    queue = f"kintsugi:faults:{uuid.uuid4().hex[:8]}"
    settings = make_settings(
        fault_database, redis_url=own.url, queue_name=queue, outbox_poll_seconds=0.5
    )
    env = worker_env(tmp_path, fault_database, own.url, queue)
    first, second = (WorkerProcess(tmp_path, env, name) for name in ("killed", "survivor"))
    services = await open_services(settings)
    app = create_app(settings, services=services)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://k.test")
    hooks = Hooks(client, services)
    broker = aioredis.from_url(own.url)
    try:
        first.start()
        await first.ready()
        reconnects_before = reconnects((await client.get("/metrics")).text)
        # About 20 deliveries a second, each twice, through all that follows.
        answers: list[dict[str, Any]] = []
        streaming = asyncio.create_task(stream(hooks, time.monotonic() + 17.0, 0.03, answers))

        # 1. SIGKILL the worker while it runs jobs; their claims in Redis outlive it.
        await asyncio.sleep(2.5)

        async def running_two() -> bool:
            return len(await broker.keys("arq:in-progress:*")) >= 2

        assert await settles(running_two, within=10.0, every=0.005)
        first.stop(signal.SIGKILL)
        unfinished_at_kill = await unfinished(services.store)
        second.start()
        await second.ready()

        # 2. Stop Redis for ten seconds: the server keeps storing and answering.
        await asyncio.sleep(1.0)
        own.stop()
        stopped = time.monotonic()
        queued_at_stop = {
            e.event_id
            for e in await services.store.outbox_list(OutboxStatus.ENQUEUED, limit=100_000)
        }
        await asyncio.sleep(1.0)
        ready_while_down = await client.get("/readyz")
        await asyncio.sleep(OUTAGE_SECONDS - 1.0)

        # 3. Start it again, empty: the jobs it held are gone.
        own.start()
        back = time.monotonic()
        await streaming
        stored_while_down = {uuid.UUID(a["ids"][0]) for a in answers if stopped <= a["at"] <= back}
        ids = {uuid.UUID(a["ids"][0]) for a in answers}

        relayed_in: float | None = None

        async def all_done() -> bool:
            nonlocal relayed_in
            left = await unfinished(services.store)
            if relayed_in is None and not left & stored_while_down:
                relayed_in = time.monotonic() - back
            return not left

        await settles(all_done, within=back + RECOVERY_LIMIT_SECONDS - time.monotonic())
        recovered_in = time.monotonic() - back
        left = await unfinished(services.store)
        await asyncio.sleep(1.0)  # time for a duplicate run to show itself, if there were one

        survivor_alive = second.process is not None and second.process.poll() is None
        heartbeat = await broker.exists(f"{queue}:health-check")
        metrics = (await client.get("/metrics")).text
        survivor_exit = second.stop()
        stored = await services.store.count(types=["github.push"])
    finally:
        for worker in (first, second):
            if worker.process is not None and worker.process.poll() is None:
                worker.process.kill()
                worker.process.wait()
        await broker.aclose()
        await client.aclose()
        await services.close()
        own.stop()

    print(
        f"\n{len(answers)} deliveries; after Redis returned, the {len(stored_while_down)} stored "
        f"while it was down were done in {relayed_in or 0:.1f} s, all (lost jobs too) in "
        f"{recovered_in:.1f} s; "
        f"{len(unfinished_at_kill & queued_at_stop)} jobs held only by the lost Redis"
    )
    # Every delivery stored once, redeliveries recognised, whatever the queue was doing.
    assert all(a["codes"] == (202, 200) and a["ids"][0] == a["ids"][1] for a in answers)
    assert stored == len(answers) == len(ids)
    assert ready_while_down.status_code == 503
    assert ready_while_down.json()["queue"].startswith("down")

    # Every job done within the limit, including those whose only trace in Redis was the
    # killed worker's claim when Redis went away.
    assert left == set(), f"{len(left)} events not done {RECOVERY_LIMIT_SECONDS} s after Redis"
    assert unfinished_at_kill & queued_at_stop, "no job was left to the lost Redis"

    # Each handler ran once per event. The one exception at-least-once delivery allows: a job
    # the killed worker finished but had not yet marked done (its mark goes out 50 ms later).
    runs = [line.split() for line in (tmp_path / "runs.txt").read_text().splitlines()]
    per_event = Counter(uuid.UUID(event_id) for event_id, _ in runs)
    assert set(per_event) == ids
    repeated = {event_id for event_id, count in per_event.items() if count > 1}
    for event_id in repeated:
        pids = [int(pid) for run_id, pid in runs if uuid.UUID(run_id) == event_id]
        assert pids[0] == first.pid and len(pids) == 2, pids
        assert event_id in unfinished_at_kill
    assert len(repeated) <= 10  # the killed worker's slots
    print(f"{len(repeated)} handler runs repeated after the SIGKILL")

    # The surviving worker rode the outage out: one warning, no tracebacks, still running,
    # heartbeat back; it stops cleanly on a signal.
    messages = second.messages()
    assert survivor_alive
    assert messages.count("Redis is unreachable; the worker waits for it") == 1
    assert messages.count("Redis reachable again; the worker resumes") == 1
    assert "Traceback" not in second.log.read_text()
    assert heartbeat == 1
    assert survivor_exit == 0
    assert reconnects(metrics) >= reconnects_before + 1
