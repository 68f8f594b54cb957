"""A running app with the dashboard enabled over a real SQLite event store, and helpers to put
events and dead letters into it."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.events.model import Event, EventMetadata
from app.events.store import OutboxStatus
from app.main import create_app
from app.services import Services, open_services
from tests.api.conftest import make_settings
from workers.jobs import Router

TOKEN = "dashboard-token-for-tests-6c1f0e9d"
BASE_URL = "http://kintsugi.test"


@pytest.fixture
async def services(tmp_path: Path) -> AsyncIterator[Services]:
    settings = make_settings(f"sqlite:///{tmp_path / 'kintsugi.db'}", dashboard_token=TOKEN)
    opened = await open_services(settings, router=Router())
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
    return stored


async def dead_letter(services: Services, type: str = "github.issues.opened") -> Event:
    """A stored event whose handlers gave up: its outbox entry is dead."""
    event = await store_event(services, type, {"action": "opened"}, outbox=True)
    await services.relay.stop()  # keep the relay from handing it over while we kill it
    marked = await services.store.outbox_mark(
        event.id, OutboxStatus.DEAD, error="RuntimeError: handler exploded", attempts=5
    )
    assert marked
    return event
