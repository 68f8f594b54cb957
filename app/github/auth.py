"""The App's credentials, and installation tokens cached until shortly before they expire."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydantic import SecretStr

from app.data.ports import Cache
from app.errors import ConfigurationError
from app.settings import Settings

log = logging.getLogger(__name__)

# A token is handed out only while it has at least this long left, so that a clone, a healing
# case and a push started with it all finish before GitHub revokes it (tokens live one hour).
TOKEN_MARGIN_SECONDS = 10 * 60


@dataclass(frozen=True)
class AppCredentials:
    """Who the App is: its id and the private key that signs its JWTs."""

    app_id: int
    private_key: SecretStr

    def __repr__(self) -> str:
        return f"AppCredentials(app_id={self.app_id}, private_key=**********)"


def app_credentials(settings: Settings) -> AppCredentials | None:
    """The App's credentials from settings; None when no App is configured at all."""
    if settings.github_app_id is None:
        if settings.github_app_private_key or settings.github_app_private_key_path:
            raise ConfigurationError("GITHUB_APP_ID must be set along with the App's private key")
        return None
    key = _private_key_text(settings)
    if "PRIVATE KEY-----" not in key:
        raise ConfigurationError(
            "the GitHub App private key is not a PEM key (expected '-----BEGIN … PRIVATE KEY-----')"
        )
    return AppCredentials(settings.github_app_id, SecretStr(key))


def _private_key_text(settings: Settings) -> str:
    if settings.github_app_private_key is not None:
        # Environments often carry the PEM on one line with literal "\n" separators.
        return settings.github_app_private_key.get_secret_value().replace("\\n", "\n")
    path: Path | None = settings.github_app_private_key_path
    if path is None:
        raise ConfigurationError(
            "GITHUB_APP_ID is set but neither GITHUB_APP_PRIVATE_KEY nor "
            "GITHUB_APP_PRIVATE_KEY_PATH is"
        )
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigurationError(
            f"cannot read GITHUB_APP_PRIVATE_KEY_PATH {str(path)!r}: {error.strerror}"
        ) from error


@dataclass(frozen=True)
class InstallationToken:
    """An installation access token and when GitHub will stop accepting it."""

    token: SecretStr
    expires_at: datetime


MintToken = Callable[[int], Awaitable[InstallationToken]]


class InstallationTokens:
    """Installation tokens per installation id, minted through `mint` and cached in `cache`
    (shared by every worker when it is Redis) until `TOKEN_MARGIN_SECONDS` before expiry."""

    def __init__(
        self,
        app_id: int,
        mint: MintToken,
        cache: Cache,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._app_id = app_id
        self._mint = mint
        self._cache = cache
        self._clock = clock

    def _key(self, installation_id: int) -> str:
        return f"github:app:{self._app_id}:installation:{installation_id}:token"

    async def token(self, installation_id: int) -> SecretStr:
        key = self._key(installation_id)
        cached = await self._cache.get(key)
        if isinstance(cached, dict) and isinstance(cached.get("token"), str):
            expires_at = datetime.fromisoformat(str(cached["expires_at"]))
            if self._seconds_left(expires_at) > TOKEN_MARGIN_SECONDS:
                return SecretStr(cached["token"])
        minted = await self._mint(installation_id)
        left = self._seconds_left(minted.expires_at)
        log.info(
            "installation token minted",
            extra={"installation_id": installation_id, "seconds_left": int(left)},
        )
        if left > TOKEN_MARGIN_SECONDS:
            await self._cache.set(
                key,
                {
                    "token": minted.token.get_secret_value(),
                    "expires_at": minted.expires_at.isoformat(),
                },
                ttl=left - TOKEN_MARGIN_SECONDS,
            )
        return minted.token

    async def forget(self, installation_id: int) -> None:
        """Drop a cached token GitHub refused (revoked, or the installation was removed)."""
        await self._cache.delete(self._key(installation_id))

    def _seconds_left(self, expires_at: datetime) -> float:
        return (expires_at - self._clock()).total_seconds()
