"""The handlers wired to event types by default."""

from __future__ import annotations

import logging

from app.events.model import Event
from app.events.store import EventStore
from app.settings import Settings
from workers.jobs import Router

log = logging.getLogger(__name__)


async def log_event(event: Event) -> None:
    log.info(
        "event handled",
        extra={
            "event_id": str(event.id),
            "type": event.type,
            "delivery_id": event.metadata.delivery_id,
            "installation_id": event.metadata.installation_id,
        },
    )


def default_router(settings: Settings | None = None, store: EventStore | None = None) -> Router:
    """Logging for every event; with settings and a store, the GitHub App's features too."""
    router = Router()
    router.on("*", log_event)
    if settings is not None and store is not None:
        from workers.github_handlers import register_github_handlers

        register_github_handlers(router, settings, store)
    return router
