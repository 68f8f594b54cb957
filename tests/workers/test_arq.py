"""The arq path on a real Redis: webhook → outbox → arq → handler, retries, Redis outages."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis

from app.events import Event, EventType, OutboxStatus
from app.main import create_app
from app.services import Services, open_services
from app.settings import Settings
from tests.api.conftest import Hooks, make_settings
from workers.arq_worker import build_worker
from workers.jobs import Router

pytestmark = [pytest.mark.redis]


def isolated(redis_url: str, database_url: str, **overrides: object) -> Settings:
    # A queue of its own per test, so parallel runs and other suites never steal its jobs.
    values: dict[str, object] = {
        "redis_url": redis_url,
        "queue_name": f"kintsugi:test:{uuid.uuid4().hex[:8]}",
        "worker_poll_seconds": 0.01,
        **overrides,
    }
    return make_settings(database_url, **values)


@asynccontextmanager
async def running(settings: Settings, router: Router) -> AsyncIterator[Hooks]:
    """The server's services and app, plus an arq worker, all in this process."""
    services: Services = await open_services(settings, router=router)
    worker = build_worker(settings, router=router, handle_signals=False)
    task = asyncio.create_task(worker.async_run())
    app = create_app(settings, services=services)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://k.test") as client:
            yield Hooks(client, services)
    finally:
        # A job still finishing as the worker stops is cancelled; not this test's concern.
        await asyncio.gather(worker.close(), return_exceptions=True)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await services.close()


async def wait_for(condition: object, within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if await condition():  # type: ignore[operator]
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not met in time")


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'kintsugi.db'}"


async def test_webhook_reaches_its_handler_through_arq_once(
    redis_url: str, postgres_url: str
) -> None:
    handled: list[Event] = []
    router = Router()

    async def handler(event: Event) -> None:
        handled.append(event)

    router.on("github.issues.opened", handler)
    async with running(isolated(redis_url, postgres_url), router) as hooks:
        payload = {"action": "opened", "issue": {"number": 1}}
        first = await hooks.github("issues", payload, delivery="arq-delivery-1")
        await hooks.github("issues", payload, delivery="arq-delivery-1")
        event_id = uuid.UUID(first.json()["event_id"])

        async def done() -> bool:
            entry = await hooks.services.store.outbox_get(event_id)
            return entry is not None and entry.status is OutboxStatus.DONE

        await wait_for(done)
        await asyncio.sleep(0.2)  # time for a duplicate job to show itself, if there were one

    assert [e.id for e in handled] == [event_id]


async def test_failing_handler_is_retried_by_arq_then_dead_lettered(
    redis_url: str, sqlite_url: str
) -> None:
    calls = 0
    router = Router()

    async def broken(event: Event) -> None:
        nonlocal calls
        calls += 1
        raise RuntimeError("always fails")

    router.on("github.ping", broken)
    settings = isolated(redis_url, sqlite_url, job_max_tries=3, job_retry_base_seconds=0.01)
    async with running(settings, router) as hooks:
        response = await hooks.github("ping", {"zen": "Design for failure."})
        event_id = uuid.UUID(response.json()["event_id"])

        async def dead() -> bool:
            entry = await hooks.services.store.outbox_get(event_id)
            return entry is not None and entry.status is OutboxStatus.DEAD

        await wait_for(dead)
        notices = await hooks.services.store.read_all(types=[EventType.JOB_DEAD_LETTERED])

    assert calls == 3
    assert [n.payload["event_id"] for n in notices] == [str(event_id)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class OwnRedis:
    """A real redis-server of this test's own, so stopping it disturbs nothing else."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "redis-server is not installed"
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def own_redis(redis_url: str, tmp_path: Path) -> Iterator[OwnRedis]:
    server = OwnRedis(tmp_path)
    server.start()
    yield server
    server.stop()


async def test_webhooks_are_kept_while_redis_is_down_and_handled_after(
    own_redis: OwnRedis, sqlite_url: str
) -> None:
    handled: list[uuid.UUID] = []
    router = Router()

    async def handler(event: Event) -> None:
        handled.append(event.id)

    router.on("github.push", handler)
    settings = isolated(own_redis.url, sqlite_url, outbox_poll_seconds=0.05)
    services = await open_services(settings, router=router)
    app = create_app(settings, services=services)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://k.test"
        ) as client:
            hooks = Hooks(client, services)
            own_redis.stop()

            answers = [await hooks.github("push", {"ref": f"refs/heads/b{n}"}) for n in range(3)]
            ids = [uuid.UUID(a.json()["event_id"]) for a in answers]
            assert [a.status_code for a in answers] == [202, 202, 202]
            assert (await client.get("/readyz")).status_code == 503
            await asyncio.sleep(0.3)
            assert len(await services.store.outbox_pending()) == 3

            own_redis.start()
            worker = build_worker(settings, router=router, handle_signals=False)
            task = asyncio.create_task(worker.async_run())
            try:

                async def all_done() -> bool:
                    entries = [await services.store.outbox_get(i) for i in ids]
                    return all(e is not None and e.status is OutboxStatus.DONE for e in entries)

                await wait_for(all_done, within=20)
                assert (await client.get("/readyz")).status_code == 200
            finally:
                # A job still finishing as the worker stops is cancelled; not this test's concern.
                await asyncio.gather(worker.close(), return_exceptions=True)
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
    finally:
        await services.close()

    assert sorted(handled) == sorted(ids)
    redis = aioredis.from_url(own_redis.url)
    assert await redis.zcard(settings.queue_name) == 0
    await redis.aclose()


async def test_a_new_job_wakes_an_idle_worker_long_before_its_poll_timer(
    redis_url: str, sqlite_url: str
) -> None:
    started: list[float] = []
    router = Router()

    async def handler(event: Event) -> None:
        started.append(time.monotonic())

    router.on("github.ping", handler)
    settings = isolated(redis_url, sqlite_url, worker_poll_seconds=10.0)
    async with running(settings, router) as hooks:
        await asyncio.sleep(0.3)  # the worker is now blocked waiting for work
        answered = time.monotonic()
        await hooks.github("ping", {"zen": "Speak like a human."})

        async def handled() -> bool:
            return bool(started)

        await wait_for(handled, within=5)

    assert started[0] - answered < 1.0  # the timer alone would have taken up to 10 s
