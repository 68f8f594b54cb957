"""Webhook signature checks over the raw body bytes, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac


def github_signature(secret: bytes, body: bytes) -> str:
    """The `X-Hub-Signature-256` value GitHub sends for `body`."""
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def sentry_signature(secret: bytes, body: bytes) -> str:
    """The `Sentry-Hook-Signature` value Sentry sends for `body` (hex, no prefix)."""
    return hmac.new(secret, body, hashlib.sha256).hexdigest()


def github_signature_valid(secret: bytes, body: bytes, header: str | None) -> bool:
    # Only the SHA-256 header counts: the legacy SHA-1 `X-Hub-Signature` is never accepted.
    if not header or not header.startswith("sha256="):
        return False
    return hmac.compare_digest(github_signature(secret, body), header.strip())


def sentry_signature_valid(secret: bytes, body: bytes, header: str | None) -> bool:
    if not header:
        return False
    return hmac.compare_digest(sentry_signature(secret, body), header.strip().lower())
