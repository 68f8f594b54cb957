"""A running app over a real database, and a client that signs like GitHub and Sentry do."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.ingest.signatures import github_signature, sentry_signature
from app.main import create_app
from app.services import Services, open_services
from app.settings import Settings
from workers.jobs import Router

GITHUB_SECRET = "It's a Secret to Everybody"
SENTRY_SECRET = "sentry-client-secret"


def make_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "redis_url": None,
        "github_webhook_secret": GITHUB_SECRET,
        "sentry_webhook_secret": SENTRY_SECRET,
        "job_retry_base_seconds": 0.01,
        "outbox_poll_seconds": 0.05,
        **overrides,
    }
    return Settings(_env_file=None, **values)


@dataclass
class Hooks:
    """Posts webhooks the way the providers do: raw bytes, signed, with their headers."""

    client: httpx.AsyncClient
    services: Services

    async def github(
        self,
        event: str,
        payload: dict[str, Any] | bytes,
        *,
        delivery: str | None = None,
        secret: str = GITHUB_SECRET,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        sent = {
            "X-GitHub-Event": event,
            "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
            "X-Hub-Signature-256": github_signature(secret.encode(), body),
            "User-Agent": "GitHub-Hookshot/044aadd",
            "Content-Type": "application/json",
            **(headers or {}),
        }
        return await self.client.post("/webhooks/github", content=body, headers=sent)

    async def sentry(
        self,
        resource: str,
        payload: dict[str, Any] | bytes,
        *,
        secret: str = SENTRY_SECRET,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        body = (
            payload
            if isinstance(payload, bytes)
            else json.dumps(payload, separators=(",", ":")).encode()
        )
        sent = {
            "Sentry-Hook-Resource": resource,
            "Sentry-Hook-Timestamp": "1732430000",
            "Sentry-Hook-Signature": sentry_signature(secret.encode(), body),
            "Request-ID": str(uuid.uuid4()),
            "Content-Type": "application/json",
            **(headers or {}),
        }
        return await self.client.post("/webhooks/sentry", content=body, headers=sent)


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgres":
        url: str = request.getfixturevalue("postgres_url")
        return url
    return f"sqlite:///{tmp_path / 'kintsugi.db'}"


@pytest.fixture
def router() -> Router:
    return Router()


@pytest.fixture
async def services(database_url: str, router: Router) -> AsyncIterator[Services]:
    from sqlalchemy import text

    opened = await open_services(make_settings(database_url), router=router)
    if opened.engine.dialect.name == "postgresql":
        async with opened.engine.begin() as conn:
            await conn.execute(text("TRUNCATE events, outbox, checkpoints RESTART IDENTITY"))
    yield opened
    await opened.close()


@pytest.fixture
async def hooks(services: Services) -> AsyncIterator[Hooks]:
    app = create_app(services.settings, services=services)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://kintsugi.test") as client:
        yield Hooks(client, services)
