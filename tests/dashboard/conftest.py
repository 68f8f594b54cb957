"""A running app with the dashboard enabled over a real SQLite event store, and helpers to put
events and dead letters into it."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.errors import PermanentError
from app.events.model import Event, EventMetadata
from app.events.store import OutboxStatus
from app.main import create_app
from app.services import Services, open_services
from tests.api.conftest import make_settings
from workers.jobs import Router

TOKEN = "dashboard-token-for-tests-6c1f0e9d"
BASE_URL = "http://kintsugi.test"


DOOMED = "tests.doomed"


@dataclass
class Outage:
    """A handler for `DOOMED` events that fails for good while `broken`, then recovers."""

    broken: bool = True
    handled: list[uuid.UUID] = field(default_factory=list)

    async def handle(self, event: Event) -> None:
        if self.broken:
            raise PermanentError("the downstream service is broken")
        self.handled.append(event.id)


@pytest.fixture
def outage() -> Outage:
    return Outage()


@pytest.fixture
async def services(tmp_path: Path, outage: Outage) -> AsyncIterator[Services]:
    settings = make_settings(f"sqlite:///{tmp_path / 'kintsugi.db'}", dashboard_token=TOKEN)
    router = Router()
    router.on(DOOMED, outage.handle)
    opened = await open_services(settings, router=router)
    yield opened
    await opened.close()


@pytest.fixture
async def client(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    """A browser-like client that is not signed in."""
    app = create_app(services.settings, services=services)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as http:
        yield http


@pytest.fixture
async def signed_in(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """The same client after signing in through the form: it carries the session cookie."""
    response = await client.post("/dashboard/login", data={"token": TOKEN})
    assert response.status_code == 303
    return client


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([0-9a-f]{64})"', html)
    assert found, "the page has no CSRF token"
    return found.group(1)


async def store_event(
    services: Services,
    type: str,
    payload: dict[str, Any],
    *,
    stream: str | None = None,
    installation_id: int | None = None,
    outbox: bool = False,
) -> Event:
    event = Event(
        type=type,
        source="tests",
        payload=payload,
        metadata=EventMetadata(installation_id=installation_id),
    )
    (stored,) = await services.store.append(
        stream or f"tests-{uuid.uuid4().hex[:8]}", event, outbox=outbox
    )
    if outbox:
        services.relay.nudge()  # as any writer of outbox rows other than the webhooks must
    return stored


async def dead_letter(services: Services) -> Event:
    """An event the workers really gave up on: stored with an outbox row, handed over by the
    relay, failed for good by the `Outage` handler."""
    event = await store_event(services, DOOMED, {"action": "opened"}, outbox=True)
    await wait_for_status(services, event.id, OutboxStatus.DEAD)
    return event


async def wait_for_status(services: Services, event_id: uuid.UUID, status: OutboxStatus) -> None:
    async with asyncio.timeout(5):
        while True:
            entry = await services.store.outbox_get(event_id)
            if entry is not None and entry.status == status:
                return
            await asyncio.sleep(0.02)
