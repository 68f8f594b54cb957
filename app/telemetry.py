"""Reporting Kintsugi's own errors to Sentry, and scrubbing secrets from what it reports."""

from __future__ import annotations

import gc
import json
import logging
import re
import warnings
from collections.abc import Iterable
from typing import Any, cast

from pydantic import SecretStr

from app import __version__
from app.healing.incidents.redaction import REDACTED, is_secret_name
from app.settings import Settings

log = logging.getLogger(__name__)

# Shorter configured values would turn ordinary words into "[redacted]"; a secret that short is
# no secret anyway.
MIN_SECRET_LENGTH = 6
# Lines of a multi-line secret (a PEM private key) are scrubbed one by one too, so a key that
# leaks a line at a time — in a traceback, a log breadcrumb — is still caught.
MIN_SECRET_LINE_LENGTH = 16


class Scrubber:
    """Removes secrets from nested data: the values under secret-looking names (`token`,
    `password`, `X-Hub-Signature-256`, `private_key` …) and every occurrence of a configured
    secret value inside any string, however deep."""

    def __init__(self, secret_values: Iterable[str]) -> None:
        needles: set[str] = set()
        for value in secret_values:
            for form in _spellings(value):
                if len(form) >= MIN_SECRET_LENGTH:
                    needles.add(form)
            for line in value.splitlines():
                line = line.strip()
                if len(line) >= MIN_SECRET_LINE_LENGTH:
                    needles.add(line)
        # Longest first, so a whole key is replaced before one of its lines.
        ordered = sorted(needles, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, ordered))) if ordered else None

    def text(self, value: str) -> str:
        if self._pattern is None:
            return value
        return self._pattern.sub(REDACTED, value)

    def scrub(self, value: Any) -> Any:
        """A scrubbed copy of `value` (dicts, lists and strings at any depth)."""
        if isinstance(value, dict):
            return {
                key: REDACTED
                if is_secret_name(str(key)) and not _harmless(item)
                else self.scrub(item)
                for key, item in value.items()
            }
        if isinstance(value, list | tuple):
            return [self.scrub(item) for item in value]
        if isinstance(value, str):
            return self.text(value)
        return value

    def before_send(self, event: Any, hint: Any) -> Any:
        """Sentry's `before_send` and `before_send_transaction` hook."""
        return self.scrub(event)

    def before_breadcrumb(self, crumb: Any, hint: Any) -> Any:
        return self.scrub(crumb)


def _harmless(value: Any) -> bool:
    # `"private": false` on a repository says nothing secret; keeping it keeps payloads readable.
    return value is None or isinstance(value, bool)


def _spellings(value: str) -> set[str]:
    """The value as written, and as it appears inside a repr or a JSON string."""
    return {value, repr(value)[1:-1], json.dumps(value)[1:-1]}


def configured_secrets(settings: Settings) -> list[str]:
    """Every secret value in `settings`: each `SecretStr` field that is set (webhook secrets,
    App private key, LLM key, dashboard token, the DSN itself)."""
    values: list[str] = []
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr) and value.get_secret_value():
            values.append(value.get_secret_value())
    return values


def init_error_reporting(settings: Settings) -> bool:
    """Send this process's unhandled errors to Sentry when `SENTRY_DSN` is set; True if it is.

    Reports never carry request bodies, cookies or user data (`send_default_pii=False`), and
    every event, transaction and breadcrumb passes through a `Scrubber` of the configured
    secrets first.
    """
    if settings.sentry_dsn is None or not settings.sentry_dsn.get_secret_value():
        return False
    scrubber = Scrubber(configured_secrets(settings))
    environment = settings.sentry_environment or settings.environment
    with warnings.catch_warnings():
        # Newer sentry-sdk releases prefer `data_collection`; older 2.x ones, which the
        # dependency range allows, know only `send_default_pii`.
        warnings.filterwarnings("ignore", "The send_default_pii option", DeprecationWarning)
        _init_sentry(settings, scrubber, environment)
    log.info("reporting errors to Sentry", extra={"sentry_environment": environment})
    return True


def _init_sentry(settings: Settings, scrubber: Scrubber, environment: str) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.fastapi import FastApiIntegration
    from sentry_sdk.integrations.starlette import StarletteIntegration

    assert settings.sentry_dsn is not None
    sentry_sdk.init(
        dsn=settings.sentry_dsn.get_secret_value(),
        environment=environment,
        release=f"kintsugi@{__version__}",
        traces_sample_rate=settings.sentry_traces_sample_rate,
        send_default_pii=False,
        # Webhook bodies are large and belong to the people who sent them.
        max_request_body_size="never",
        before_send=cast(Any, scrubber.before_send),
        before_send_transaction=cast(Any, scrubber.before_send),
        before_breadcrumb=cast(Any, scrubber.before_breadcrumb),
        integrations=[StarletteIntegration(), FastApiIntegration()],
    )


# Young objects allowed before the collector's first generation runs (CPython's default: 700).
YOUNG_COLLECTION_THRESHOLD = 10_000


def freeze_long_lived_objects() -> None:
    """Move everything alive now (modules, models, pools: what a server keeps until it stops)
    out of the cyclic garbage collector's sight, and let young objects pile up longer.

    Its full passes walk every tracked object; with githubkit's models and litellm loaded that
    is hundreds of thousands of them, and a pass stalled every request in flight for ~100 ms.
    Objects created later are collected as usual, but not every few hundred allocations: 32
    webhooks in flight hold some 10,000 young objects (parsed payloads, validated models), so
    at the default threshold the collector ran about once per webhook, re-walking the payloads
    still in use: 50 of ~510 µs of CPU per webhook. Garbage in cycles waits a little longer."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, middle, old)
