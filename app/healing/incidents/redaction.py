"""Scrubbing secrets out of captured frame variables before anything else sees them."""

from __future__ import annotations

import re
from typing import Any

REDACTED = "[redacted]"

# Words that mark a name as holding a secret: `api_token`, `X-Auth-Key`, `dbPassword`, `secret`.
_SECRET_WORDS = frozenset(
    {
        "password", "passwd", "pwd", "secret", "token", "key", "apikey", "auth",
        "authorization", "credential", "credentials", "cookie", "signature", "dsn",
        "sessionid", "jwt", "bearer", "private",
    }
)  # fmt: skip
_WORD = re.compile(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])")


def is_secret_name(name: str) -> bool:
    words = {word.lower() for word in _WORD.findall(name)}
    return bool(words & _SECRET_WORDS) or "password" in name.lower()


def redact_vars(values: dict[str, Any]) -> dict[str, Any]:
    """A copy of `values` with every secret-looking name's value replaced, at any depth."""
    return {name: _redact(name, value) for name, value in values.items()}


def _redact(name: str, value: Any) -> Any:
    if is_secret_name(name):
        return REDACTED
    if isinstance(value, dict):
        return {str(k): _redact(str(k), v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact("", item) for item in value]
    return value
