"""The FastAPI application: routes, and the services its lifespan owns."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI

from app import __version__
from app.api import functions, health, webhooks
from app.api.bodies import BodyBudget, BodyGuard
from app.api.deps import WebhookSecrets
from app.dashboard.routes import router as dashboard_router
from app.services import Services, open_services
from app.settings import Settings, get_settings
from app.setup.routes import SetupContext
from app.setup.routes import router as setup_router
from app.telemetry import freeze_long_lived_objects, init_error_reporting


def create_app(
    settings: Settings | None = None,
    *,
    services: Services | None = None,
    setup: SetupContext | None = None,
) -> FastAPI:
    """The app for `settings`. Refuses to build without webhook secrets. Given `services`, the
    caller owns them; otherwise the lifespan opens and closes its own. `setup` serves the App
    registration pages (by default for `.env` in the working directory)."""
    settings = settings or get_settings()
    github_secret, sentry_secret = settings.require_webhook_secrets()
    init_error_reporting(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = services is None
        app.state.services = services or await open_services(settings)
        if own:
            freeze_long_lived_objects()
        try:
            yield
        finally:
            if own:
                await app.state.services.close()

    app = FastAPI(title="Kintsugi", version=__version__, lifespan=lifespan)
    if services is not None:
        app.state.services = services
    app.state.secrets = WebhookSecrets(github=github_secret, sentry=sentry_secret)
    app.state.body_budget = BodyBudget(settings.http_unauthenticated_body_bytes)
    app.add_middleware(
        BodyGuard,
        budget=app.state.body_budget,
        max_bytes=settings.max_webhook_bytes,
        timeout_seconds=settings.http_body_timeout_seconds,
    )
    app.include_router(webhooks.router)
    app.include_router(health.router)
    app.include_router(functions.router)
    app.include_router(dashboard_router)
    app.state.setup = setup or SetupContext(settings, Path(".env"))
    app.include_router(setup_router)
    return app
