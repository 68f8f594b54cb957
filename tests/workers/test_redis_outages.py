"""Redis going away and coming back: noticing a restart, handing lost jobs over again, and a
worker that waits for Redis instead of dying, without running a job twice at once."""

from __future__ import annotations

import asyncio
import logging
import signal
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis
from arq.constants import in_progress_key_prefix
from arq.utils import timestamp_ms

from app.events import Event, InMemoryEventStore, OutboxStatus
from app.main import create_app
from app.observability import LOST_JOBS_REQUEUED
from app.services import open_services
from tests.api.conftest import Hooks
from tests.dashboard.conftest import TOKEN
from tests.workers.test_arq import OwnRedis, isolated, wait_for
from tests.workers.test_broker_faults import WorkerProcess, worker_env
from workers.arq_worker import build_worker
from workers.broker import REDIS_DOWN, RedisRuns
from workers.jobs import Router
from workers.queue import ArqQueue
from workers.relay import OutboxRelay
from workers.wakeable_worker import WakeableWorker

pytestmark = [pytest.mark.redis]


@pytest.fixture
def own_redis(redis_url: str, tmp_path: Path) -> OwnRedis:
    return OwnRedis(tmp_path)


@pytest.fixture
async def started(own_redis: OwnRedis) -> AsyncIterator[OwnRedis]:
    own_redis.start()
    yield own_redis
    own_redis.stop()


def restart(server: OwnRedis) -> None:
    """Stop and start again, without persistence: Redis comes back empty."""
    server.stop()
    server.start()


async def stop_worker(worker: WakeableWorker, task: asyncio.Task[None]) -> None:
    await asyncio.gather(worker.close(), return_exceptions=True)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_a_restart_is_noticed_once_and_a_kept_redis_is_left_alone(
    started: OwnRedis,
) -> None:
    client = aioredis.from_url(started.url)
    watcher = RedisRuns("kintsugi:test:runs")

    brand_new = await watcher.lost_jobs(client)  # nothing marked this Redis as holding jobs
    unchanged = await watcher.lost_jobs(client)
    late_comer = await RedisRuns("kintsugi:test:runs").lost_jobs(client)
    await client.aclose()
    restart(started)
    client = aioredis.from_url(started.url)
    after_restart = await watcher.lost_jobs(client)
    once = await watcher.lost_jobs(client)
    await client.aclose()

    assert (brand_new, unchanged, late_comer) == (True, False, False)
    assert (after_restart, once) == (True, False)


async def test_jobs_lost_with_redis_are_handed_over_again_after_a_grace(
    started: OwnRedis,
) -> None:
    store = InMemoryEventStore()
    queue = ArqQueue(started.url, queue_name=f"kintsugi:test:{uuid.uuid4().hex[:8]}")
    relay = OutboxRelay(store, queue, poll_seconds=0.05, max_backoff=0.2, lost_jobs_grace=3.0)
    events = [
        (await store.append(f"s-{n}", Event(type="t", source="tests"), outbox=True))[0]
        for n in range(3)
    ]
    await relay.start()
    client = aioredis.from_url(started.url)
    try:

        async def queued(count: int) -> bool:
            try:
                return int(await client.zcard(queue.queue_name)) == count
            except REDIS_DOWN:
                return False

        await wait_for(lambda: queued(3), within=5)
        before = LOST_JOBS_REQUEUED._value.get()
        restart(started)
        restarted_at = timestamp_ms()

        await wait_for(lambda: queued(3), within=5)
        scores = [
            score for _, score in await client.zrange(queue.queue_name, 0, -1, withscores=True)
        ]
        entries = [await store.outbox_get(e.id) for e in events]
    finally:
        await client.aclose()
        await relay.stop()
        await queue.close()

    # Not startable before the grace: a worker still running one claims it back meanwhile.
    assert all(score >= restarted_at + 2_500 for score in scores)
    assert all(e is not None and e.status is OutboxStatus.ENQUEUED for e in entries)
    assert LOST_JOBS_REQUEUED._value.get() == before + 3


async def test_a_worker_started_while_redis_is_down_waits_for_it_then_works(
    own_redis: OwnRedis, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    handled: list[uuid.UUID] = []
    router = Router()

    async def handler(event: Event) -> None:
        handled.append(event.id)

    router.on("github.push", handler)
    settings = isolated(
        own_redis.url,
        f"sqlite:///{tmp_path / 'k.db'}",
        redis_reconnect_max_seconds=0.2,
        lost_jobs_grace_seconds=0.5,
        dashboard_token=TOKEN,
    )
    services = await open_services(settings, router=router)
    app = create_app(settings, services=services)
    worker = build_worker(settings, router=router, handle_signals=False)
    caplog.set_level(logging.INFO, logger="workers.wakeable_worker")
    task = asyncio.create_task(worker.async_run())
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://k.test"
        ) as client:
            hooks = Hooks(client, services)
            answer = await hooks.github("push", {"ref": "refs/heads/main"})
            await asyncio.sleep(1.5)
            waiting = not task.done()
            readiness = (await client.get("/readyz")).json()
            await client.post("/dashboard/login", data={"token": TOKEN})
            overview = (await client.get("/dashboard")).text

            own_redis.start()

            async def handled_once() -> bool:
                return bool(handled)

            await wait_for(handled_once, within=10)
            await asyncio.sleep(0.3)
            ready_again = (await client.get("/readyz")).json()
    finally:
        await stop_worker(worker, task)
        await services.close()
        own_redis.stop()

    assert waiting and answer.status_code == 202
    assert readiness["status"] == "not ready" and readiness["queue"].startswith("down: ")
    assert "arq down" in overview and "queue-down" in overview
    assert ready_again["queue"] == "ok"
    assert handled == [uuid.UUID(answer.json()["event_id"])]
    warnings = [r for r in caplog.records if r.getMessage().startswith("Redis is unreachable")]
    assert len(warnings) == 1 and warnings[0].exc_info is None


async def test_a_job_running_through_a_redis_restart_is_claimed_back_and_runs_once(
    started: OwnRedis, tmp_path: Path
) -> None:
    runs: list[uuid.UUID] = []
    release = asyncio.Event()
    router = Router()

    async def slow(event: Event) -> None:
        runs.append(event.id)
        await release.wait()

    router.on("github.push", slow)
    settings = isolated(
        started.url,
        f"sqlite:///{tmp_path / 'k.db'}",
        redis_reconnect_max_seconds=0.3,
        lost_jobs_grace_seconds=1.5,
        outbox_poll_seconds=0.05,
    )
    services = await open_services(settings, router=router)
    app = create_app(settings, services=services)
    worker = build_worker(settings, router=router, handle_signals=False)
    task = asyncio.create_task(worker.async_run())
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://k.test"
        ) as client:
            answer = await Hooks(client, services).github("push", {"ref": "refs/heads/x"})
            event_id = uuid.UUID(answer.json()["event_id"])

            async def running() -> bool:
                return bool(runs)

            await wait_for(running, within=5)
            restart(started)  # the job's claim, its data and its queue entry are gone
            check = aioredis.from_url(started.url)

            async def claimed_back() -> bool:
                return bool(await check.exists(in_progress_key_prefix + str(event_id)))

            await wait_for(claimed_back, within=5)
            await asyncio.sleep(2.5)  # past the grace: the job handed over again is due
            still_once = list(runs)
            release.set()

            async def done() -> bool:
                entry = await services.store.outbox_get(event_id)
                return entry is not None and entry.status is OutboxStatus.DONE

            await wait_for(done, within=5)
            await asyncio.sleep(1.0)  # time for a second run to show itself
            await check.aclose()
    finally:
        release.set()
        await stop_worker(worker, task)
        await services.close()

    assert still_once == [event_id]
    assert runs == [event_id]


async def test_a_worker_process_stopped_while_redis_is_down_exits_cleanly(
    started: OwnRedis, tmp_path: Path
) -> None:
    env = worker_env(tmp_path, f"sqlite:///{tmp_path / 'k.db'}", started.url, "kintsugi:test:sig")
    worker = WorkerProcess(tmp_path, env, "worker")
    worker.start()
    try:
        await worker.ready()
        started.stop()
        await asyncio.sleep(2.0)
        alive_while_down = worker.process is not None and worker.process.poll() is None
        exit_code = worker.stop(signal.SIGTERM)
    finally:
        if worker.process is not None and worker.process.poll() is None:
            worker.process.kill()
            worker.process.wait()

    assert alive_while_down
    assert exit_code == 0
    assert worker.messages().count("Redis is unreachable; the worker waits for it") == 1
    assert "Traceback" not in worker.log.read_text()
