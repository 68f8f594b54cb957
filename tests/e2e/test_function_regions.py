"""A function declared for a region runs only on a worker started for that region."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.events import EventType
from app.main import create_app
from app.services import open_services
from tests.api.conftest import Hooks, make_settings
from tests.e2e.test_automatic_sources import TRIAGE, corpus, repository_payload, settled
from tests.github.conftest import APP_ID, SHOP_FILES
from tests.github.fake_github import FakeGitHub, FakeRepository, bare_repository
from workers.arq_worker import build_worker

pytestmark = [pytest.mark.sandbox, pytest.mark.slow, pytest.mark.redis]

REGIONAL_CONFIG = """\
functions:
  triage:
    file: .github/functions/triage.py
    on: [issues.opened]
    timeout: 5
    region: eu-west
"""


def regional_repository(fake: FakeGitHub, tmp_path: Path) -> tuple[FakeRepository, dict[str, Any]]:
    """`octo/ops`, declaring `triage` for region eu-west, and an `issues.opened` for it."""
    files = {
        **SHOP_FILES,
        ".github/kintsugi.yml": REGIONAL_CONFIG,
        ".github/functions/triage.py": TRIAGE,
    }
    ops = fake.add_repository(
        FakeRepository("octo", "ops", bare_repository(tmp_path / "ops", "ops", files), 77)
    )
    payload = corpus("github-webhooks/issues/opened.payload.json")
    payload["installation"] = {"id": ops.installation_id, "node_id": "x"}
    payload["repository"] = repository_payload(fake, ops)
    return ops, payload


@pytest.fixture
async def regional(
    fake_github: FakeGitHub, app_key: tuple[str, str], tmp_path: Path, redis_url: str
) -> AsyncIterator[tuple[Hooks, asyncio.Task[None]]]:
    settings = make_settings(
        f"sqlite:///{tmp_path / 'kintsugi.db'}",
        redis_url=redis_url,
        queue_name=f"kintsugi:test:{uuid.uuid4().hex[:8]}",
        worker_poll_seconds=0.05,
        github_app_id=APP_ID,
        github_app_private_key=app_key[0],
        github_api_url=fake_github.url,
    )
    services = await open_services(settings)
    events_worker = build_worker(settings, handle_signals=False)
    region_worker = build_worker(settings, region="eu-west", handle_signals=False)
    events_task = asyncio.create_task(events_worker.async_run())
    region_task = asyncio.create_task(region_worker.async_run())
    app = create_app(settings, services=services)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://k.test"
        ) as client:
            yield Hooks(client, services), region_task
    finally:
        for worker, task in ((events_worker, events_task), (region_worker, region_task)):
            # A job still finishing as the worker stops is cancelled; not this test's concern.
            await asyncio.gather(worker.close(), return_exceptions=True)
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
        await services.close()


async def test_a_regional_function_runs_on_its_regions_worker_only(
    regional: tuple[Hooks, asyncio.Task[None]], fake_github: FakeGitHub, tmp_path: Path
) -> None:
    hooks, _ = regional
    ops, payload = regional_repository(fake_github, tmp_path)
    payload["issue"].update(number=7, title="Crash on login")

    await hooks.github("issues", payload)
    [triggered] = await settled(hooks.services, [EventType.FUNCTION_TRIGGERED], within=90)

    assert [c["body"] for c in ops.comments] == ["Triaged #7 as bug."]
    assert triggered.payload["function"] == "triage"
    [invoked] = await hooks.services.store.read_all(types=[EventType.FUNCTION_INVOKED])
    assert invoked.payload["region"] == "eu-west"


async def test_without_a_worker_for_its_region_a_regional_function_waits_in_that_queue(
    regional: tuple[Hooks, asyncio.Task[None]], fake_github: FakeGitHub, tmp_path: Path
) -> None:
    import redis.asyncio as aioredis

    from workers.queue import region_queue

    hooks, region_task = regional
    region_task.cancel()
    await asyncio.gather(region_task, return_exceptions=True)
    ops, payload = regional_repository(fake_github, tmp_path)

    answer = await hooks.github("issues", payload)
    event_id = answer.json()["event_id"]
    settings = hooks.services.settings
    assert settings.redis_url is not None
    redis = aioredis.from_url(settings.redis_url)
    queue = region_queue(settings.queue_name, "eu-west")
    try:
        for _ in range(200):
            if await redis.zcard(queue):
                break
            await asyncio.sleep(0.05)
        jobs = await redis.zrange(queue, 0, -1)
        await redis.delete(queue)
    finally:
        await redis.aclose()

    assert jobs == [f"{event_id}:functions:eu-west".encode()]
    assert ops.comments == []
    assert await hooks.services.store.read_all(types=[EventType.FUNCTION_TRIGGERED]) == []
