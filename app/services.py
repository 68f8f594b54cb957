"""The long-lived resources of one process (engine, store, queue, relay), built and closed
together by the server's lifespan, the worker and the CLI."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncEngine

from app.database import create_engine, ensure_schema, event_store
from app.environments.cache import EnvironmentCache
from app.environments.wiring import environment_cache
from app.events.model import Event
from app.events.store import EventStore
from app.settings import Settings
from functions import ServerlessRuntime, register_metrics
from functions.sandbox import Sandbox, SandboxUnavailable
from workers.handlers import default_router
from workers.jobs import EventJob, Router
from workers.queue import ArqQueue, InProcessQueue, JobQueue
from workers.relay import OutboxRelay

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    store: EventStore
    queue: JobQueue
    relay: OutboxRelay
    router: Router
    sandbox: Sandbox | None  # None: untrusted code cannot run here, `sandbox_problem` says why
    # Repositories' environments, built through `sandbox`: one cache per process (None with it).
    environments: EnvironmentCache | None
    functions: ServerlessRuntime
    # Metrics that belong to these services rather than to the process (tests open many).
    metrics: CollectorRegistry
    sandbox_problem: str | None = None

    def sandbox_state(self) -> str:
        """ "ok", "degraded" (opted into, for development) or "unavailable: <why>"."""
        if self.sandbox is None:
            return f"unavailable: {self.sandbox_problem}"
        return "ok" if self.sandbox.mode == "bubblewrap" else "degraded"

    @property
    def queue_kind(self) -> str:
        return "arq" if isinstance(self.queue, ArqQueue) else "in-process"

    async def queue_state(self) -> str:
        """ "ok", or "down" with why: what /readyz and the dashboard show."""
        if await self.queue.ping():
            return "ok"
        cause = self.queue.last_error if isinstance(self.queue, ArqQueue) else None
        return f"down: {cause}" if cause else "down"

    async def queue_depth(self) -> int | None:
        try:
            if isinstance(self.queue, ArqQueue):
                return await self.queue.depth()
            if isinstance(self.queue, InProcessQueue):
                return self.queue.depth()
        except Exception:
            return None
        return None

    async def close(self) -> None:
        await self.functions.close()
        await self.relay.stop()
        await self.queue.close()
        await self.store.close()


def event_job(
    settings: Settings, store: EventStore, router: Router, *, defer_done_marks: bool = False
) -> EventJob:
    return EventJob(
        store,
        router,
        max_tries=settings.job_max_tries,
        timeout_seconds=settings.job_timeout_seconds,
        retry_base_seconds=settings.job_retry_base_seconds,
        defer_done_marks=defer_done_marks,
    )


async def open_services(
    settings: Settings, *, router: Router | None = None, **relay_options: Any
) -> Services:
    """Connect to the database (migrating the embedded SQLite file), pick the queue, start the
    relay. With `REDIS_URL` unset, jobs run in this process."""
    engine = create_engine(settings.resolved_database_url)
    try:
        await ensure_schema(engine, auto_migrate=settings.is_sqlite)
    except Exception:
        await engine.dispose()
        raise
    store = event_store(engine)
    sandbox: Sandbox | None = None
    sandbox_problem: str | None = None
    try:
        sandbox = Sandbox(allow_degraded=settings.sandbox_allow_degraded)
    except SandboxUnavailable as unavailable:
        # Webhooks are still stored; healing and functions refuse, and /readyz says why.
        sandbox_problem = str(unavailable)
        log.error("untrusted code cannot run: %s", sandbox_problem)
    environments = environment_cache(settings, sandbox) if sandbox is not None else None
    router = router or default_router(settings, store, sandbox=sandbox, environments=environments)
    queue: JobQueue
    if settings.redis_url:
        queue = ArqQueue(settings.redis_url, queue_name=settings.queue_name)
    else:
        # Finished jobs' done marks share a write every 50 ms instead of one write each.
        in_process = InProcessQueue(event_job(settings, store, router, defer_done_marks=True))
        await in_process.start()
        queue = in_process
    relay = OutboxRelay(
        store,
        queue,
        poll_seconds=settings.outbox_poll_seconds,
        max_backoff=settings.redis_reconnect_max_seconds,
        lost_jobs_grace=settings.lost_jobs_grace_seconds,
        **relay_options,
    )
    await relay.start()

    async def record_invocation(event: Event) -> None:
        await store.append(event.stream, event)

    functions = ServerlessRuntime(sandbox=sandbox, on_invoked=record_invocation)
    metrics = CollectorRegistry()
    register_metrics(functions.invocations, metrics)
    log.info(
        "services ready",
        extra={
            "database": engine.dialect.name,
            "queue": "arq" if settings.redis_url else "in-process",
        },
    )
    return Services(
        settings,
        engine,
        store,
        queue,
        relay,
        router,
        sandbox,
        environments,
        functions,
        metrics,
        sandbox_problem,
    )
