"""The registration pages over a fake GitHub on a loopback port, and a browser-like walk
through them up to the point where the manifest would be posted to GitHub."""

from __future__ import annotations

import html
import json
import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from app.settings import Settings
from app.setup.routes import SetupContext
from app.setup.server import setup_app
from tests.github.fake_github import FakeGitHub, generate_private_key, serve

PUBLIC_URL = "https://kintsugi.example.test"
LOCAL = "http://127.0.0.1:8000"


@pytest.fixture
def fake_github() -> Iterator[FakeGitHub]:
    with serve(FakeGitHub(1, generate_private_key()[1])) as fake:
        yield fake


@pytest.fixture
def env_file(tmp_path: Path) -> Path:
    path = tmp_path / "conf" / ".env"
    path.parent.mkdir()
    return path


def setup_settings(fake: FakeGitHub, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"github_api_url": fake.url, "public_url": PUBLIC_URL, **overrides}
    return Settings(_env_file=None, **values)


@dataclass
class Walk:
    """A browser on the setup pages: the form's fields as it would send them."""

    client: httpx.AsyncClient
    context: SetupContext

    async def start(self, token: str | None = None) -> httpx.Response:
        return await self.client.get("/setup", params={"token": token or self.context.gate.token})

    async def choose(self, **form: str) -> httpx.Response:
        fields = {"token": self.context.gate.token, "account": "personal", "public_url": PUBLIC_URL}
        return await self.client.post(
            "/setup/manifest",
            content=httpx.QueryParams({**fields, **form}).__str__(),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )

    async def to_github(self, **form: str) -> tuple[str, dict[str, Any]]:
        """The registration form's action and the manifest it posts."""
        page = await self.choose(**form)
        assert page.status_code == 200, page.text
        return posted_form(page.text)

    async def back_from_github(self, fake: FakeGitHub, **form: str) -> httpx.Response:
        """Through GitHub (the fake creates the App) and back to the redirect with the code."""
        action, manifest = await self.to_github(**form)
        state = parse_qs(urlsplit(action).query)["state"][0]
        code = fake.create_app_from_manifest(manifest)
        return await self.client.get(
            urlsplit(manifest["redirect_url"]).path, params={"code": code, "state": state}
        )


def posted_form(page: str) -> tuple[str, dict[str, Any]]:
    action = re.search(r'<form method="post" action="([^"]+)" id="register">', page)
    manifest = re.search(r'name="manifest" value="([^"]+)"', page)
    assert action and manifest, page
    return html.unescape(action.group(1)), json.loads(html.unescape(manifest.group(1)))


@pytest.fixture
async def walk(fake_github: FakeGitHub, env_file: Path) -> AsyncIterator[Walk]:
    context = SetupContext(setup_settings(fake_github), env_file)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=setup_app(context)), base_url=LOCAL
    ) as client:
        yield Walk(client, context)
