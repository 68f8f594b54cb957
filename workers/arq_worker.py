"""The arq worker: `handle_event` jobs from Redis, run by the shared `EventJob`."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from arq import Retry
from arq.connections import RedisSettings
from arq.worker import Worker

from app.database import create_engine, ensure_schema
from app.events.sql import SqlEventStore
from app.services import event_job
from app.settings import Settings
from workers.handlers import default_router
from workers.jobs import EventJob, JobOutcome, Router

log = logging.getLogger(__name__)


async def handle_event(ctx: dict[str, Any], event_id: str) -> str:
    """arq job: one attempt at the event's handlers; a transient failure becomes arq's Retry."""
    job: EventJob = ctx["event_job"]
    result = await job.run(uuid.UUID(event_id), ctx["job_try"])
    if result.outcome is JobOutcome.RETRY:
        raise Retry(defer=result.retry_in)
    return result.outcome.value


def worker_options(settings: Settings, *, router: Router | None = None) -> dict[str, Any]:
    """Everything `arq.worker.Worker` needs, built from settings instead of at import time."""
    if not settings.redis_url:
        raise ValueError("REDIS_URL must be set to run an arq worker")

    async def startup(ctx: dict[str, Any]) -> None:
        engine = create_engine(settings.resolved_database_url)
        await ensure_schema(engine, auto_migrate=settings.is_sqlite)
        store = SqlEventStore(engine)
        ctx["store"] = store
        ctx["event_job"] = event_job(settings, store, router or default_router(settings, store))
        log.info("worker ready", extra={"database": engine.dialect.name})

    async def shutdown(ctx: dict[str, Any]) -> None:
        if "store" in ctx:
            await ctx["store"].close()

    return {
        "functions": [handle_event],
        "redis_settings": RedisSettings.from_dsn(settings.redis_url),
        "queue_name": settings.queue_name,
        "on_startup": startup,
        "on_shutdown": shutdown,
        # arq's default of 0.5 s between polls would dominate event-to-handler latency.
        "poll_delay": settings.worker_poll_seconds,
        # EventJob counts attempts and dead-letters; arq only needs to allow one more try.
        "max_tries": settings.job_max_tries + 1,
        "job_timeout": settings.job_timeout_seconds + 30,
        "keep_result": 3600,
        "handle_signals": True,
    }


def build_worker(settings: Settings, *, router: Router | None = None, **overrides: Any) -> Worker:
    return Worker(**{**worker_options(settings, router=router), **overrides})
