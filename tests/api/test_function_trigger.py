"""HTTP triggers of a repository's declared functions: token, declaration, sandboxed run."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from app.api.functions import repository_token
from app.main import create_app
from app.services import open_services
from tests.api.conftest import make_settings

SECRET = "functions-token-secret"

CONFIG = """\
functions:
  echo:
    file: .github/functions/echo.py
    handler: handle
    http: true
    timeout: 5
  private:
    file: .github/functions/echo.py
    handler: handle
"""

ECHO = """\
import os

def handle(event, context):
    return {"greeting": f"hello {event.get('name')}", "function": context.function_name,
            "sees_secret": "FUNCTIONS_TOKEN_SECRET" in os.environ}
"""


@pytest.fixture
def checkouts(tmp_path: Path) -> Path:
    repo = tmp_path / "checkouts" / "octo" / "app"
    (repo / ".github" / "functions").mkdir(parents=True)
    (repo / ".github" / "kintsugi.yml").write_text(CONFIG)
    (repo / ".github" / "functions" / "echo.py").write_text(ECHO)
    return tmp_path / "checkouts"


@pytest.fixture
async def client(tmp_path: Path, checkouts: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(
        f"sqlite:///{tmp_path / 'k.db'}",
        functions_token_secret=SECRET,
        functions_checkouts_dir=checkouts,
    )
    services = await open_services(settings)
    app = create_app(settings, services=services)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://k.test") as http:
        yield http
    await services.close()


def bearer(repository: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {repository_token(SECRET.encode(), repository)}"}


@pytest.mark.sandbox
async def test_declared_http_function_runs_in_the_sandbox(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/functions/octo/app/echo", json={"name": "Ada"}, headers=bearer("octo/app")
    )

    assert response.status_code == 200, response.text
    assert response.json()["body"] == {
        "greeting": "hello Ada",
        "function": "echo",
        "sees_secret": False,
    }
    metrics = (await client.get("/metrics")).text
    assert "echo" in metrics


async def test_missing_or_foreign_token_is_401(client: httpx.AsyncClient) -> None:
    assert (await client.post("/functions/octo/app/echo", json={})).status_code == 401
    other = await client.post("/functions/octo/app/echo", json={}, headers=bearer("octo/other"))
    assert other.status_code == 401


async def test_function_without_http_true_is_404(client: httpx.AsyncClient) -> None:
    response = await client.post("/functions/octo/app/private", json={}, headers=bearer("octo/app"))
    assert response.status_code == 404
    assert "no HTTP function 'private'" in response.json()["detail"]


async def test_body_that_is_not_json_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/functions/octo/app/echo", content=b"{nope", headers=bearer("octo/app")
    )
    assert response.status_code == 400


async def test_readiness_reports_the_sandbox_mode(client: httpx.AsyncClient) -> None:
    ready = await client.get("/readyz")
    # bubblewrap is required wherever the tests run: anything else is not ready.
    assert (ready.status_code, ready.json()["sandbox"]) == (200, "ok")
