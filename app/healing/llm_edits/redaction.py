"""Scrubbing credentials out of text before it is sent to an LLM."""

from __future__ import annotations

import re

from app.healing.incidents.redaction import REDACTED, is_secret_name

# Shapes of credentials that must never reach the LLM, whatever the name they are stored under.
_SECRET_SHAPES = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----"
    r"|\bgh[pousr]_[A-Za-z0-9]{20,}|\bgithub_pat_\w{20,}|\bsk-[A-Za-z0-9_-]{16,}"
    r"|\bAKIA[0-9A-Z]{16}\b|\bxox[abprs]-[A-Za-z0-9-]{10,}|\bAIza[0-9A-Za-z_-]{35}"
    r"|\beyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}",
    re.DOTALL,
)
_URL_PASSWORD = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^:/\s@]+):[^@\s/]+@", re.IGNORECASE)
_BEARER = re.compile(r"\b(Bearer|Basic|token)\s+[A-Za-z0-9._~+/=-]{8,}")
_QUOTED_ASSIGNMENT = re.compile(
    r"(?P<name>[A-Za-z_][\w-]*)(?P<sep>['\"]?\s*[:=]\s*)(?P<quote>['\"])(?P<value>[^'\"\n]+)(?P=quote)"
)


def redact(text: str) -> str:
    """`text` with credentials replaced: known token shapes, URL passwords, secret-named strings."""
    text = _SECRET_SHAPES.sub(REDACTED, text)
    text = _URL_PASSWORD.sub(rf"\1:{REDACTED}@", text)
    text = _BEARER.sub(rf"\1 {REDACTED}", text)

    def scrub(match: re.Match[str]) -> str:
        if not is_secret_name(match["name"]):
            return match[0]
        return f"{match['name']}{match['sep']}{match['quote']}{REDACTED}{match['quote']}"

    return _QUOTED_ASSIGNMENT.sub(scrub, text)
