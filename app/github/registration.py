"""The end of GitHub's manifest flow: the one-time code exchanged for the new App's
credentials, and the App's webhook secret set to one Kintsugi already holds."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

import httpx
from githubkit import AppAuthStrategy, BaseAuthStrategy, GitHub, UnauthAuthStrategy
from githubkit.cache import MemCacheStrategy
from githubkit.exception import GitHubException, RequestFailed
from pydantic import SecretStr

from app.errors import PermanentError
from app.github.client import USER_AGENT
from app.github.errors import translate

log = logging.getLogger(__name__)


_CODE_IN_PATH = re.compile(r"/app-manifests/[^/\s]+/")


class _HideManifestCode(logging.Filter):
    """httpx logs each request's URL; a code not yet exchanged would give its reader the App's
    secrets, so the code never reaches a log."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _CODE_IN_PATH.sub("/app-manifests/***/", str(arg))
                if "app-manifests" in str(arg)
                else arg
                for arg in record.args
            )
        return True


_HIDE_CODE = _HideManifestCode()


class ManifestCodeRejected(PermanentError):
    """GitHub no longer accepts the code (used already, older than an hour, or made up)."""


@dataclass(frozen=True)
class RegisteredApp:
    """What GitHub answers once for a new App; the secrets are never shown again."""

    id: int
    slug: str
    name: str
    html_url: str
    owner: str
    client_id: str
    client_secret: SecretStr
    webhook_secret: SecretStr | None
    pem: SecretStr

    @property
    def install_url(self) -> str:
        return f"{self.html_url.rstrip('/')}/installations/new"

    def __repr__(self) -> str:
        return f"RegisteredApp(id={self.id}, slug={self.slug!r}, secrets=**********)"


def _github(
    api_url: str, transport: httpx.AsyncBaseTransport | None, auth: BaseAuthStrategy
) -> GitHub[BaseAuthStrategy]:
    return GitHub(
        auth,
        base_url=api_url.rstrip("/"),
        user_agent=USER_AGENT,
        async_transport=transport,
        http_cache=False,
        # The code is single-use: a retried POST after a lost answer would only see 404.
        auto_retry=False,
        timeout=30.0,
        # githubkit's default JWT cache is process-wide and keyed by App id alone.
        cache_strategy=MemCacheStrategy(),
    )


async def convert_manifest_code(
    code: str, *, api_url: str, transport: httpx.AsyncBaseTransport | None = None
) -> RegisteredApp:
    """`POST /app-manifests/{code}/conversions`, unauthenticated as GitHub requires."""
    logging.getLogger("httpx").addFilter(_HIDE_CODE)  # adding it again is a no-op
    github = _github(api_url, transport, UnauthAuthStrategy())
    try:
        response = await github.rest.apps.async_create_from_manifest(code)
    except RequestFailed as error:
        if error.response.status_code in (404, 422):
            raise ManifestCodeRejected(
                "GitHub did not accept this registration code: it was used already or is "
                "older than an hour. Start again from the setup page; if GitHub created the "
                "App anyway, delete it in its settings first."
            ) from error
        raise translate(error, "exchange the registration code") from error
    except (GitHubException, httpx.HTTPError) as error:
        raise translate(error, "exchange the registration code") from error
    body = response.parsed_data
    owner = getattr(body.owner, "login", None) or getattr(body.owner, "slug", "") or ""
    registered = RegisteredApp(
        id=body.id,
        slug=body.slug if isinstance(body.slug, str) else str(body.id),
        name=body.name,
        html_url=body.html_url,
        owner=str(owner),
        client_id=body.client_id,
        client_secret=SecretStr(body.client_secret),
        webhook_secret=SecretStr(body.webhook_secret) if body.webhook_secret else None,
        pem=SecretStr(body.pem),
    )
    log.info("GitHub App registered", extra={"app_id": registered.id, "slug": registered.slug})
    return registered


async def set_webhook_secret(
    app: RegisteredApp,
    secret: SecretStr,
    *,
    api_url: str,
    transport: httpx.AsyncBaseTransport | None = None,
) -> None:
    """`PATCH /app/hook/config` as the new App, so GitHub signs with the secret Kintsugi has."""
    github = _github(api_url, transport, AppAuthStrategy(app.id, app.pem.get_secret_value()))
    try:
        await github.rest.apps.async_update_webhook_config_for_app(secret=secret.get_secret_value())
    except (GitHubException, httpx.HTTPError) as error:
        raise translate(error, "set the App's webhook secret") from error
