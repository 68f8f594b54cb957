"""Keeping what GitHub answered for a new App: the private key as its own file and the rest in
`.env`, with any webhook secret Kintsugi already verifies with kept and given to the App."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
from pydantic import SecretStr

from app.errors import KintsugiError
from app.github.registration import RegisteredApp, set_webhook_secret
from app.settings import Settings
from app.setup.envfile import EnvFile, write_private_file

log = logging.getLogger(__name__)

# The settings that say an App is configured; none of them is ever replaced by setup.
APP_SETTINGS = (
    "GITHUB_APP_ID",
    "GITHUB_APP_SLUG",
    "GITHUB_APP_CLIENT_ID",
    "GITHUB_APP_CLIENT_SECRET",
    "GITHUB_APP_PRIVATE_KEY",
    "GITHUB_APP_PRIVATE_KEY_PATH",
)


@dataclass(frozen=True)
class SavedApp:
    app: RegisteredApp
    env_file: Path
    key_file: Path
    kept_webhook_secret: bool  # the existing GITHUB_WEBHOOK_SECRET now signs the App's hooks
    webhook_secret_problem: str | None  # why it could not be given to the App, if it failed


def configured_app(settings: Settings, env_file: Path) -> str | None:
    """Which App setting is already set (in the environment or in `env_file`), None if none."""
    if settings.github_app_id is not None:
        return "GITHUB_APP_ID"
    if settings.github_app_private_key is not None or settings.github_app_private_key_path:
        return "GITHUB_APP_PRIVATE_KEY"
    on_disk = EnvFile(env_file).values()
    return next((name for name in APP_SETTINGS if on_disk.get(name)), None)


def _existing_webhook_secret(settings: Settings, env_file: Path) -> SecretStr | None:
    if settings.github_webhook_secret is not None and settings.github_webhook_secret:
        return settings.github_webhook_secret
    on_disk = EnvFile(env_file).values().get("GITHUB_WEBHOOK_SECRET")
    return SecretStr(on_disk) if on_disk else None


def _key_file(env_file: Path, app: RegisteredApp) -> Path:
    directory = env_file.resolve().parent
    plain = directory / f"{app.slug}.private-key.pem"
    return plain if not plain.exists() else directory / f"{app.slug}-{app.id}.private-key.pem"


async def save_registration(
    app: RegisteredApp,
    settings: Settings,
    env_file: Path,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> SavedApp:
    key_file = _key_file(env_file, app)
    write_private_file(key_file, app.pem.get_secret_value())
    existing_secret = _existing_webhook_secret(settings, env_file)
    values = {
        "GITHUB_APP_ID": str(app.id),
        "GITHUB_APP_SLUG": app.slug,
        "GITHUB_APP_CLIENT_ID": app.client_id,
        "GITHUB_APP_CLIENT_SECRET": app.client_secret.get_secret_value(),
        "GITHUB_APP_PRIVATE_KEY_PATH": str(key_file),
    }
    if existing_secret is None and app.webhook_secret is not None:
        values["GITHUB_WEBHOOK_SECRET"] = app.webhook_secret.get_secret_value()
    on_disk = EnvFile(env_file).values()
    # Endpoints given only by the environment are written too, so a later run without them
    # still talks to the GitHub the App lives on; ones .env sets already stay as they are.
    for name, value, default in (
        ("GITHUB_API_URL", settings.github_api_url, "https://api.github.com"),
        ("GITHUB_URL", settings.github_url, "https://github.com"),
    ):
        if value != default and not on_disk.get(name):
            values[name] = value
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    EnvFile(env_file).add(values, comment=f"GitHub App {app.slug}, registered {when}")
    log.info(
        "GitHub App settings written",
        extra={"app_id": app.id, "env_file": str(env_file), "key_file": str(key_file)},
    )
    problem: str | None = None
    if existing_secret is not None:
        try:
            await set_webhook_secret(
                app, existing_secret, api_url=settings.github_api_url, transport=transport
            )
        except KintsugiError as error:
            problem = str(error)
            log.warning("the App's webhook secret was not set", extra={"error": problem})
    return SavedApp(app, env_file, key_file, existing_secret is not None, problem)
