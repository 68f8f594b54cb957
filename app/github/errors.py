"""githubkit and httpx failures translated once into Kintsugi's errors, with no secret in them."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from githubkit.exception import (
    AuthCredentialError,
    GitHubException,
    RateLimitExceeded,
    RequestError,
    RequestFailed,
    RequestTimeout,
)

from app.errors import ConfigurationError, PermanentError, TransientError

log = logging.getLogger(__name__)


class GitHubPermissionError(PermanentError):
    """The App lacks a permission it needs (403): a human must grant it in the App settings."""


class GitHubNotFound(PermanentError):
    """The resource does not exist, or the installation cannot see it (404)."""


def _status(error: RequestFailed) -> int:
    return int(error.response.status_code)


def _message(error: RequestFailed) -> str:
    try:
        body = error.response.raw_response.json()
    except ValueError:
        return ""
    message = body.get("message") if isinstance(body, dict) else None
    return str(message) if message else ""


def translate(error: Exception, what: str) -> Exception:
    """The Kintsugi error for a failed GitHub call; `what` names the call for the message.
    URLs carry no credentials here (tokens travel in headers), so the method and path are safe."""
    if isinstance(error, RateLimitExceeded):
        return TransientError(f"GitHub rate limit while trying to {what}; retry later")
    if isinstance(error, RequestFailed):
        status = _status(error)
        detail = _message(error)
        suffix = f": {detail}" if detail else ""
        if status >= 500 or status == 429:
            return TransientError(f"GitHub answered {status} while trying to {what}{suffix}")
        if status == 403:
            return GitHubPermissionError(
                f"GitHub refused to {what} (403{suffix}); the App may be missing a permission "
                "— compare its settings with app.yml"
            )
        if status == 404:
            return GitHubNotFound(f"GitHub found nothing to {what} (404{suffix})")
        if status == 401:
            return TransientError(f"GitHub did not accept the App's credentials to {what}")
        return PermanentError(f"GitHub refused to {what} ({status}{suffix})")
    if isinstance(error, RequestTimeout | httpx.TimeoutException):
        return TransientError(f"GitHub timed out while trying to {what}")
    if isinstance(error, RequestError | httpx.TransportError):
        return TransientError(f"could not reach GitHub to {what}: {type(error).__name__}")
    if isinstance(error, AuthCredentialError):
        return ConfigurationError(f"the GitHub App credentials are unusable: {error}")
    if isinstance(error, GitHubException):
        return PermanentError(f"GitHub call failed while trying to {what}: {type(error).__name__}")
    return error


@asynccontextmanager
async def translated(what: str) -> AsyncIterator[None]:
    """Run GitHub calls, re-raising their failures as Kintsugi errors."""
    try:
        yield
    except (GitHubException, httpx.HTTPError) as error:
        mapped = translate(error, what)
        log.warning("GitHub call failed", extra={"call": what, "error": str(mapped)})
        raise mapped from error


def status_of(error: BaseException) -> int | None:
    """The HTTP status of a githubkit failure, None for anything else."""
    return _status(error) if isinstance(error, RequestFailed) else None
