"""githubkit clients for the App (JWT) and for its installations (cached installation tokens)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from githubkit import AppAuthStrategy, GitHub, TokenAuthStrategy
from githubkit.cache import MemCacheStrategy
from githubkit.exception import GitHubException, RequestFailed
from githubkit.retry import RetryChainDecision, RetryRateLimit
from githubkit.typing import RetryOption
from pydantic import SecretStr

from app.data.cache import InProcessCache
from app.data.ports import Cache
from app.github.auth import AppCredentials, InstallationToken, InstallationTokens
from app.github.errors import translated

log = logging.getLogger(__name__)

USER_AGENT = "kintsugi-github-app"


class _RetryServerErrors:
    """githubkit's 5xx retry (three tries, pauses growing 1, 4, 9 s) with a settable scale."""

    def __init__(self, max_retry: int = 3, base_seconds: float = 1.0) -> None:
        self.max_retry = max_retry
        self.base_seconds = base_seconds

    def __call__(self, exc: GitHubException, retry_count: int) -> RetryOption:
        if (
            retry_count < self.max_retry
            and isinstance(exc, RequestFailed)
            and exc.response.status_code >= 500
        ):
            log.warning(
                "GitHub server error; retrying",
                extra={"status": exc.response.status_code, "retry": retry_count + 1},
            )
            return RetryOption(True, timedelta(seconds=self.base_seconds * (retry_count + 1) ** 2))
        return RetryOption(False)


def _retry(base_seconds: float) -> RetryChainDecision:
    # Rate limits once (after GitHub's Retry-After), 5xx three times with growing pauses; what
    # still fails becomes a TransientError and the job is retried later, so nothing is lost.
    return RetryChainDecision(RetryRateLimit(1), _RetryServerErrors(3, base_seconds))


class GitHubApp:
    """The App as GitHub knows it: the JWT client, and installation clients built on demand.

    Installation tokens are minted once and shared by the REST client and git (a push needs
    the token itself), cached in `cache` until shortly before they expire.
    """

    def __init__(
        self,
        credentials: AppCredentials,
        *,
        api_url: str = "https://api.github.com",
        cache: Cache | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        retry_base_seconds: float = 1.0,
    ) -> None:
        self.credentials = credentials
        self.api_url = api_url.rstrip("/")
        self._transport = transport
        self._retry_base_seconds = retry_base_seconds
        # githubkit's default JWT cache is process-wide and keyed by App id only; a cache of our
        # own means a changed private key takes effect at once.
        self._jwt_cache = MemCacheStrategy()
        self._app = GitHub(
            AppAuthStrategy(credentials.app_id, credentials.private_key.get_secret_value()),
            **self._options(),
            cache_strategy=self._jwt_cache,
        )
        self.tokens = InstallationTokens(
            credentials.app_id, self._mint, cache or InProcessCache(), clock=clock
        )

    def _options(self) -> dict[str, Any]:
        return {
            "base_url": self.api_url,
            "user_agent": USER_AGENT,
            "async_transport": self._transport,
            "auto_retry": _retry(self._retry_base_seconds),
            # Our own caches decide freshness; an HTTP cache would serve stale permissions.
            "http_cache": False,
            "timeout": 30.0,
        }

    @property
    def app_client(self) -> GitHub[AppAuthStrategy]:
        return self._app

    async def _mint(self, installation_id: int) -> InstallationToken:
        async with translated(f"create an access token for installation {installation_id}"):
            response = await self._app.rest.apps.async_create_installation_access_token(
                installation_id
            )
        body = response.json()
        expires_at = datetime.fromisoformat(str(body["expires_at"]).replace("Z", "+00:00"))
        return InstallationToken(SecretStr(str(body["token"])), expires_at)

    async def installation_token(self, installation_id: int) -> SecretStr:
        return await self.tokens.token(installation_id)

    async def installation_client(self, installation_id: int) -> GitHub[TokenAuthStrategy]:
        token = await self.tokens.token(installation_id)
        return GitHub(TokenAuthStrategy(token.get_secret_value()), **self._options())
