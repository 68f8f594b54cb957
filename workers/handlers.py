"""The handlers wired to event types by default."""

from __future__ import annotations

import logging

from app.events.model import Event
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


def default_router() -> Router:
    router = Router()
    router.on("*", log_event)
    return router
