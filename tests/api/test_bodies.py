"""Request bodies before their senders are authenticated, through the app over ASGI: capped in
size as they stream, refused with 503 and Retry-After beyond the shared budget, and counted
against it only until a webhook's signature is checked."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from app.api.bodies import BodyBudget
from app.ingest.signatures import github_signature
from app.main import create_app
from app.services import Services, open_services
from tests.api.conftest import GITHUB_SECRET, make_settings

KB = 1024


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    settings = make_settings(
        f"sqlite:///{tmp_path / 'kintsugi.db'}",
        max_webhook_bytes=64 * KB,
        http_unauthenticated_body_bytes=96 * KB,
    )
    opened = await open_services(settings)
    yield opened
    await opened.close()


@pytest.fixture
async def client(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(services.settings, services=services)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://kintsugi.test") as made:
        made.app = app  # type: ignore[attr-defined]
        yield made


def budget(client: httpx.AsyncClient) -> BodyBudget:
    found: BodyBudget = client.app.state.body_budget  # type: ignore[attr-defined]
    return found


async def chunks(size: int, step: int = 8 * KB) -> AsyncIterator[bytes]:
    for _ in range(size // step):
        yield b"x" * step


def signed(body: bytes) -> dict[str, str]:
    return {
        "X-GitHub-Event": "ping",
        "X-GitHub-Delivery": str(uuid.uuid4()),
        "X-Hub-Signature-256": github_signature(GITHUB_SECRET.encode(), body),
    }


async def test_a_streamed_body_over_the_limit_is_413_as_soon_as_it_passes_it(
    client: httpx.AsyncClient,
) -> None:
    answer = await client.post("/webhooks/github", content=chunks(80 * KB), headers=signed(b""))

    assert answer.status_code == 413 and "over 65536 bytes" in answer.json()["detail"]
    assert answer.headers["connection"] == "close"
    assert budget(client).held == 0 and budget(client).peak <= 64 * KB + 8 * KB


async def test_a_body_beyond_the_budget_is_503_with_retry_after(
    client: httpx.AsyncClient,
) -> None:
    assert budget(client).take(60 * KB)  # another request's body, still being read
    try:
        declared = await client.post("/webhooks/github", content=b"x" * (40 * KB))
        streamed = await client.post("/webhooks/github", content=chunks(40 * KB))
    finally:
        budget(client).give_back(60 * KB)

    for answer in (declared, streamed):
        assert answer.status_code == 503
        assert answer.headers["retry-after"] == "30" and answer.headers["connection"] == "close"
    assert budget(client).held == 0


async def test_a_verified_webhook_no_longer_counts_against_the_budget(
    client: httpx.AsyncClient, services: Services
) -> None:
    body = json.dumps({"zen": "x" * (50 * KB)}).encode()
    answer = await client.post("/webhooks/github", content=body, headers=signed(body))

    assert answer.status_code == 202
    assert budget(client).held == 0 and budget(client).peak == len(body)
    assert await services.store.count() == 1
