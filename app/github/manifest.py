"""The App manifest GitHub's manifest flow receives: `app.yml` with this server's addresses, and
the page of GitHub (or GitHub Enterprise) that registers an App from it."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import yaml

from app.errors import ConfigurationError

APP_YML = Path(__file__).resolve().parents[2] / "app.yml"
WEBHOOK_PATH = "/webhooks/github"
CALLBACK_PATH = "/setup/callback"

# GitHub's rule for organisation logins: letters, digits and single inner hyphens.
_ORGANISATION = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$")


def base_url(text: str, what: str) -> str:
    """`text` as an http(s) origin with an optional path and no trailing slash, or an error
    naming `what` it was meant to be."""
    url = text.strip().rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ConfigurationError(
            f"{what} must be an http(s) address such as https://kintsugi.example.com, not {text!r}"
        )
    return url


def organisation_login(text: str) -> str:
    login = text.strip()
    if not _ORGANISATION.match(login):
        raise ConfigurationError(f"{text!r} is not a GitHub organisation name")
    return login


def app_manifest(public_url: str, redirect_base: str, *, path: Path = APP_YML) -> dict[str, Any]:
    """The manifest of `path` (Probot's app.yml) with the webhook pointed at `public_url` and
    GitHub's redirect back to `redirect_base` (where the registering browser reaches us)."""
    try:
        declared = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigurationError(
            f"cannot read the App manifest {path}: {error.strerror}"
        ) from error
    if not isinstance(declared, dict) or not isinstance(declared.get("default_permissions"), dict):
        raise ConfigurationError(f"{path} is not an App manifest (no default_permissions)")
    hook = dict(declared.get("hook_attributes") or {})
    hook["url"] = base_url(public_url, "PUBLIC_URL") + WEBHOOK_PATH
    hook.setdefault("active", True)
    manifest: dict[str, Any] = {
        "name": declared["name"],
        "url": declared["url"],
        "hook_attributes": hook,
        "redirect_url": base_url(redirect_base, "the setup page's address") + CALLBACK_PATH,
        # Private whatever app.yml says: an App that holds push access is installed by its owner.
        "public": False,
        "default_permissions": declared["default_permissions"],
        "default_events": list(declared.get("default_events") or []),
    }
    if declared.get("description"):
        manifest["description"] = declared["description"]
    return manifest


def registration_url(github_url: str, state: str, organisation: str | None = None) -> str:
    """GitHub's "new App from manifest" page, for the signed-in user or for `organisation`."""
    root = base_url(github_url, "GITHUB_URL")
    if organisation:
        page = f"{root}/organizations/{quote(organisation_login(organisation))}/settings/apps/new"
    else:
        page = f"{root}/settings/apps/new"
    return f"{page}?{urlencode({'state': state})}"
