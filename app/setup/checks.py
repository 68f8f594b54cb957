"""`kintsugi doctor`'s checks: settings, database, queue, sandbox, the App's credentials and the
webhook secret, each with what to do when it fails."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import httpx
from pydantic import ValidationError

from app.errors import ConfigurationError
from app.ingest.signatures import github_signature
from app.settings import Settings

Status = Literal["pass", "fail", "skip"]
SETUP_HINT = "open the setup link `kintsugi serve` prints, or run `kintsugi setup`"


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str
    fix: str = ""


def check_settings(load: Callable[[], Settings]) -> tuple[Check, Settings | None]:
    try:
        settings = load()
    except ValidationError as error:
        wrong = ", ".join(
            f"{'.'.join(str(p) for p in e['loc']).upper()}: {e['msg']}" for e in error.errors()
        )
        return Check(
            "settings",
            "fail",
            f"the settings do not load ({wrong})",
            "correct them in .env or the environment (see .env.example)",
        ), None
    try:
        settings.require_webhook_secrets()
    except ConfigurationError as error:
        return Check(
            "settings",
            "fail",
            str(error),
            "`kintsugi serve --dev` writes random ones to .env; registering the App writes "
            "GitHub's; Sentry's is the client secret of your Sentry integration",
        ), settings
    return Check("settings", "pass", "the settings load and both webhook secrets are set"), settings


def _missing_sqlite_file(settings: Settings) -> Path | None:
    # Connecting would create the file: a doctor only looks.
    if not settings.is_sqlite:
        return None
    path = Path(settings.resolved_database_url.split(":///", 1)[1])
    return None if path.exists() else path


async def check_database(settings: Settings) -> Check:
    from app.database import create_engine, current_revision, head_revision

    url = settings.resolved_database_url
    path = _missing_sqlite_file(settings)
    if path is not None:
        return Check("database", "pass", f"{path} does not exist yet; `kintsugi serve` creates it")
    engine = create_engine(url)
    try:
        async with asyncio.timeout(10):
            revision = await current_revision(engine)
    except Exception as error:
        return Check(
            "database",
            "fail",
            f"cannot reach the {engine.dialect.name} database: {type(error).__name__}: {error}",
            "check DATABASE_URL and that the database server runs",
        )
    finally:
        await engine.dispose()
    head = head_revision()
    if revision == head:
        return Check("database", "pass", f"{engine.dialect.name}, schema at revision {head}")
    if settings.is_sqlite:
        return Check("database", "pass", f"SQLite at revision {revision}; it migrates at start")
    return Check(
        "database",
        "fail",
        f"the schema is at revision {revision or 'none'}, this version needs {head}",
        "run `kintsugi migrate`",
    )


async def check_queue(settings: Settings) -> Check:
    if not settings.redis_url:
        return Check("queue", "pass", "in-process (REDIS_URL unset): jobs run inside the server")
    from redis.asyncio import Redis

    redis = Redis.from_url(settings.redis_url, socket_connect_timeout=3, socket_timeout=3)
    try:
        await redis.ping()
    except Exception as error:
        return Check(
            "queue",
            "fail",
            f"Redis does not answer at REDIS_URL: {type(error).__name__}: {error}",
            "start Redis, correct REDIS_URL, or unset it to run jobs inside the server",
        )
    finally:
        await redis.aclose()
    return Check("queue", "pass", "Redis answers (arq workers: `kintsugi worker`)")


def check_sandbox(settings: Settings | None = None) -> Check:
    from functions.sandbox import INSTALL_BUBBLEWRAP, Sandbox, SandboxUnavailable

    allow = settings.sandbox_allow_degraded if settings is not None else False
    try:
        box = Sandbox(allow_degraded=allow)
    except SandboxUnavailable as unavailable:
        return Check("sandbox", "fail", str(unavailable), INSTALL_BUBBLEWRAP)
    if box.mode == "bubblewrap":
        return Check("sandbox", "pass", "bubblewrap isolates untrusted code")
    return Check(
        "sandbox",
        "fail",
        f"{box.problem}: untrusted code runs degraded (SANDBOX_ALLOW_DEGRADED=true), with "
        "rlimits only, which is for local development",
        INSTALL_BUBBLEWRAP,
    )


async def check_app(settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> Check:
    from githubkit import AppAuthStrategy, GitHub
    from githubkit.cache import MemCacheStrategy
    from githubkit.exception import GitHubException, RequestFailed

    from app.github.auth import app_credentials
    from app.github.client import USER_AGENT

    try:
        credentials = app_credentials(settings)
    except ConfigurationError as error:
        return Check("github app", "fail", str(error), "correct the App settings in .env")
    if credentials is None:
        return Check(
            "github app", "fail", "no GitHub App is configured (GITHUB_APP_ID)", SETUP_HINT
        )
    github = GitHub(
        AppAuthStrategy(credentials.app_id, credentials.private_key.get_secret_value()),
        base_url=settings.github_api_url,
        user_agent=USER_AGENT,
        async_transport=transport,
        auto_retry=False,
        http_cache=False,
        timeout=15.0,
        # githubkit's default JWT cache is keyed by App id alone: a key changed since would
        # go untried.
        cache_strategy=MemCacheStrategy(),
    )
    try:
        found = (await github.rest.apps.async_get_authenticated()).parsed_data
    except RequestFailed as error:
        status = error.response.status_code
        return Check(
            "github app",
            "fail",
            f"GitHub refused the App's JWT (GET /app answered {status})",
            "GITHUB_APP_ID and the private key must belong to the same App (download a new "
            "key on the App's page if unsure), and this machine's clock must be right",
        )
    except (GitHubException, httpx.HTTPError) as error:
        return Check(
            "github app",
            "fail",
            f"cannot reach GitHub at {settings.github_api_url}: {type(error).__name__}",
            "check GITHUB_API_URL (https://HOST/api/v3 on GitHub Enterprise) and the network",
        )
    if found is None:
        return Check("github app", "fail", "GET /app answered nothing", "try again later")
    count = found.installations_count if isinstance(found.installations_count, int) else 0
    hint = "" if count else " — install it from its page to put it to work"
    detail = f"App {found.name} (id {found.id}) at {found.html_url}, {count} installation(s){hint}"
    return Check("github app", "pass", detail)


async def check_webhook_secret(settings: Settings, server_url: str) -> Check:
    """A `ping` signed with this machine's GITHUB_WEBHOOK_SECRET, delivered to the running server:
    it passes only if the server verifies with the same secret (and stores the ping)."""
    secret = settings.github_webhook_secret
    if secret is None or not secret.get_secret_value():
        return Check("webhook secret", "fail", "GITHUB_WEBHOOK_SECRET is not set", SETUP_HINT)
    body = json.dumps({"zen": "Kintsugi doctor: a signed self-delivery.", "hook_id": 0}).encode()
    url = f"{server_url.rstrip('/')}/webhooks/github"
    headers = {
        "X-GitHub-Event": "ping",
        "X-GitHub-Delivery": f"kintsugi-doctor-{uuid.uuid4()}",
        "X-Hub-Signature-256": github_signature(secret.get_secret_value().encode(), body),
        "User-Agent": "kintsugi-doctor",
        "Content-Type": "application/json",
    }
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.post(url, content=body, headers=headers)
    except httpx.TransportError:
        return Check(
            "webhook secret",
            "skip",
            f"no server answers at {server_url}, so the secret could not be tried end to end",
            "start `kintsugi serve` and run `kintsugi doctor` again (or pass --server-url)",
        )
    if response.status_code in (200, 202):
        return Check("webhook secret", "pass", f"the server at {server_url} accepted a signed ping")
    if response.status_code == 401:
        return Check(
            "webhook secret",
            "fail",
            f"the server at {server_url} refused a ping signed with this GITHUB_WEBHOOK_SECRET",
            "the server runs with another secret: restart it after changing .env",
        )
    return Check(
        "webhook secret",
        "fail",
        f"the server at {server_url} answered {response.status_code} to a signed ping",
        "look at the server's log",
    )


async def run_checks(
    load: Callable[[], Settings],
    server_url: str,
    *,
    github_transport: httpx.AsyncBaseTransport | None = None,
) -> list[Check]:
    first, settings = check_settings(load)
    if settings is None:
        rest = ("database", "queue", "sandbox", "github app", "webhook secret")
        return [first, *(Check(name, "skip", "the settings did not load") for name in rest)]
    return [
        first,
        await check_database(settings),
        await check_queue(settings),
        check_sandbox(settings),
        await check_app(settings, github_transport),
        await check_webhook_secret(settings, server_url),
    ]
