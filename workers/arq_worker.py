"""The arq worker: `handle_event` jobs from Redis, run by the shared `EventJob`."""

from __future__ import annotations

import logging
import pickle
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from arq import Retry, cron
from arq.connections import RedisSettings
from arq.worker import Worker
from pydantic import ValidationError

from app import jsoncodec
from app.database import create_engine, ensure_schema, event_store
from app.environments.wiring import environment_cache
from app.events.model import Event
from app.events.sql import SqlEventStore
from app.observability import log_context
from app.services import event_job
from app.settings import Settings
from app.telemetry import freeze_long_lived_objects
from functions.sandbox import Sandbox, SandboxUnavailable
from workers.handlers import default_router
from workers.jobs import EventJob, JobOutcome, Router
from workers.queue import ArqQueue, region_queue
from workers.relay import OutboxRelay
from workers.wakeable_worker import WakeableWorker

log = logging.getLogger(__name__)


async def handle_event(
    ctx: dict[str, Any], event_id: str, event: bytes | str | dict[str, Any] | None = None
) -> str:
    """arq job: one attempt at the event's handlers; a transient failure becomes arq's Retry.

    A fresh event travels with its job as JSON (`ArqQueue.enqueue_many`; jobs queued by
    earlier versions carry a dict); one that no longer reads as an `Event` is simply read back
    from the store."""
    job: EventJob = ctx["event_job"]
    carried = None
    if event is not None:
        try:
            # jsoncodec, then pydantic: twice as fast as pydantic's own JSON parsing here.
            fields = jsoncodec.loads(event) if isinstance(event, bytes | str) else event
            carried = Event.model_validate(fields)
        except (ValidationError, jsoncodec.JSONDecodeError):
            log.warning("event carried by the job is unreadable; reading it from the store")
    result = await job.run(uuid.UUID(event_id), ctx["job_try"], carried)
    if result.outcome is JobOutcome.RETRY:
        raise Retry(defer=result.retry_in)
    return result.outcome.value


async def evolve_nightly(ctx: dict[str, Any]) -> str:
    """arq cron job: one evolution run (replay, promote or roll back) on the worker's store."""
    from app.evolution.scheduled import configured_evolver, configured_llm
    from app.github.replay_checkouts import app_recorded_source

    settings: Settings = ctx["settings"]
    # With an App, recorded live cases of every repository are replayed alongside the corpus.
    recorded = app_recorded_source(settings, ctx["store"])
    if recorded is None:
        log.info("nightly evolution replays the corpus only (no GitHub App to clone cases with)")
    evolver = configured_evolver(
        settings,
        ctx["store"],
        llm_provider=configured_llm(settings),
        recorded=recorded,
        environments=ctx["environments"],
    )
    return str((await evolver.evolve())["status"])


def worker_options(settings: Settings, *, router: Router | None = None) -> dict[str, Any]:
    """Everything `arq.worker.Worker` needs, built from settings instead of at import time."""
    if not settings.redis_url:
        raise ValueError("REDIS_URL must be set to run an arq worker")

    async def startup(ctx: dict[str, Any]) -> None:
        if router is None:
            _require_sandbox_for_app(settings)
        engine = create_engine(settings.resolved_database_url)
        await ensure_schema(engine, auto_migrate=settings.is_sqlite)
        store = event_store(engine)
        ctx["store"] = store
        ctx["settings"] = settings
        # arq keeps each job's result (`keep_result`), so a finished job's id is refused for an
        # hour: its done mark need not hold the job up.
        # One sandbox and one environment cache for every job of this worker.
        # A worker with an App refused above without one; without an App nothing runs in it.
        sandbox = _sandbox_if_usable(settings)
        environments = environment_cache(settings, sandbox) if sandbox is not None else None
        ctx["environments"] = environments
        routed = router or default_router(
            settings, store, sandbox=sandbox, environments=environments
        )
        ctx["event_job"] = event_job(settings, store, routed, defer_done_marks=True)
        # For handing over again the jobs a restarted Redis lost (`WakeableWorker`).
        assert settings.redis_url is not None
        queue = ArqQueue(settings.redis_url, queue_name=settings.queue_name)
        ctx["queue"] = queue
        ctx["relay"] = OutboxRelay(store, queue, lost_jobs_grace=settings.lost_jobs_grace_seconds)
        freeze_long_lived_objects()
        log.info("worker ready", extra={"database": engine.dialect.name})

    async def shutdown(ctx: dict[str, Any]) -> None:
        if "event_job" in ctx:
            await ctx["event_job"].flush()
        if "queue" in ctx:
            await ctx["queue"].close()
        if "store" in ctx:
            await ctx["store"].close()

    return {
        "functions": [handle_event],
        "cron_jobs": [
            cron(
                evolve_nightly,
                hour=settings.evolution_cron_hour,
                minute=0,
                timeout=settings.evolution_budget_seconds + 300,
            )
        ],
        "redis_settings": RedisSettings.from_dsn(settings.redis_url),
        "queue_name": settings.queue_name,
        "on_startup": startup,
        "on_shutdown": shutdown,
        # The longest a worker sleeps between polls when no wake-up token arrives.
        "poll_delay": settings.worker_poll_seconds,
        # EventJob counts attempts and dead-letters; arq only needs to allow one more try.
        "max_tries": settings.job_max_tries + 1,
        "job_timeout": settings.job_timeout_seconds + 30,
        "keep_result": 3600,
        "job_serializer": serialize_without_event,
        "handle_signals": True,
        "reconnect_max_seconds": settings.redis_reconnect_max_seconds,
        "requeue_lost": requeue_lost,
    }


def _require_sandbox_for_app(settings: Settings) -> None:
    """A worker with a GitHub App runs repositories' tests and functions: it refuses to start
    without a working sandbox (`SandboxUnavailable` names the cause and the remedy)."""
    from app.github.auth import app_credentials
    from workers.github_handlers import require_sandbox

    if app_credentials(settings) is not None:
        require_sandbox(settings)


def _sandbox_if_usable(settings: Settings) -> Sandbox | None:
    try:
        return Sandbox(allow_degraded=settings.sandbox_allow_degraded)
    except SandboxUnavailable as unavailable:
        log.warning("no sandbox in this worker: %s", unavailable)
        return None


async def requeue_lost(ctx: dict[str, Any]) -> int:
    """Hand over again the jobs of entries marked enqueued that a restarted Redis lost."""
    relay: OutboxRelay = ctx["relay"]
    return await relay.requeue_lost()


def serialize_without_event(data: dict[str, Any]) -> bytes:
    """arq's pickle, except that a kept result records only the event id of its job's arguments.

    arq copies a job's arguments into the result it keeps for `keep_result`; for
    `handle_event` that would be the whole event, an hour long, for every webhook. Nothing reads
    results back: they are kept so that a finished job's id is refused when enqueued again."""
    if "r" in data and data.get("f") == handle_event.__name__ and data.get("a"):
        data = {**data, "a": tuple(data["a"][:1])}
    return pickle.dumps(data)


RunFunctions = Callable[[Event, list[str]], Awaitable[None]]


async def run_functions(ctx: dict[str, Any], event_id: str, names: list[str]) -> None:
    """arq job on a region's queue: the named functions an event triggered, run in this region."""
    store: SqlEventStore = ctx["store"]
    event = await store.get(uuid.UUID(event_id))
    if event is None:
        log.error("functions for an event that is not stored", extra={"event_id": event_id})
        return
    run: RunFunctions = ctx["run_functions"]
    with log_context(event_id=event_id, region=ctx["region"]):
        await run(event, names)


def region_worker_options(
    settings: Settings, region: str, *, run: RunFunctions | None = None
) -> dict[str, Any]:
    """A worker for one region: it serves that region's queue only, running the functions that
    repositories declare with `region: <region>`."""
    options = worker_options(settings)

    async def startup(ctx: dict[str, Any]) -> None:
        engine = create_engine(settings.resolved_database_url)
        await ensure_schema(engine, auto_migrate=settings.is_sqlite)
        store = event_store(engine)
        ctx["store"] = store
        ctx["region"] = region
        if run is not None:
            ctx["run_functions"] = run
        else:
            from workers.github_handlers import region_function_runner, require_sandbox

            require_sandbox(settings)
            ctx["run_functions"] = region_function_runner(settings, store, region)
        log.info("region worker ready", extra={"region": region})

    return {
        **options,
        "functions": [run_functions],
        "cron_jobs": [],
        "queue_name": region_queue(settings.queue_name, region),
        "on_startup": startup,
        # A region's jobs have no outbox entries to hand over again from.
        "requeue_lost": None,
    }


def build_worker(
    settings: Settings,
    *,
    router: Router | None = None,
    region: str | None = None,
    **overrides: Any,
) -> Worker:
    """The event worker, or with `region` a worker for that region's functions only."""
    options = (
        worker_options(settings, router=router)
        if region is None
        else region_worker_options(settings, region)
    )
    return WakeableWorker(**{**options, **overrides})
