"""The arq worker: `handle_event` jobs from Redis, run by the shared `EventJob`."""

from __future__ import annotations

import asyncio
import logging
import pickle
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, cast

from arq import Retry, cron
from arq.connections import RedisSettings, create_pool
from arq.constants import in_progress_key_prefix
from arq.utils import timestamp_ms
from arq.worker import Worker
from pydantic import ValidationError
from redis.commands.core import AsyncScript

from app import jsoncodec
from app.database import create_engine, ensure_schema, event_store
from app.events.model import Event
from app.events.sql import SqlEventStore
from app.observability import log_context
from app.services import event_job
from app.settings import Settings
from app.telemetry import freeze_long_lived_objects
from workers.handlers import default_router
from workers.jobs import EventJob, JobOutcome, Router
from workers.queue import region_queue, wake_key

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
        settings, ctx["store"], llm_provider=configured_llm(settings), recorded=recorded
    )
    return str((await evolver.evolve())["status"])


def worker_options(settings: Settings, *, router: Router | None = None) -> dict[str, Any]:
    """Everything `arq.worker.Worker` needs, built from settings instead of at import time."""
    if not settings.redis_url:
        raise ValueError("REDIS_URL must be set to run an arq worker")

    async def startup(ctx: dict[str, Any]) -> None:
        engine = create_engine(settings.resolved_database_url)
        await ensure_schema(engine, auto_migrate=settings.is_sqlite)
        store = event_store(engine)
        ctx["store"] = store
        ctx["settings"] = settings
        # arq keeps each job's result (`keep_result`), so a finished job's id is refused for an
        # hour: its done mark need not hold the job up.
        ctx["event_job"] = event_job(
            settings, store, router or default_router(settings, store), defer_done_marks=True
        )
        freeze_long_lived_objects()
        log.info("worker ready", extra={"database": engine.dialect.name})

    async def shutdown(ctx: dict[str, Any]) -> None:
        if "event_job" in ctx:
            await ctx["event_job"].flush()
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
    }


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
            from workers.github_handlers import region_function_runner

            ctx["run_functions"] = region_function_runner(settings, store, region)
        log.info("region worker ready", extra={"region": region})

    return {
        **options,
        "functions": [run_functions],
        "cron_jobs": [],
        "queue_name": region_queue(settings.queue_name, region),
        "on_startup": startup,
    }


# arq's poll and claim (ZRANGEBYSCORE, then per job a WATCH/EXISTS/ZSCORE/MULTI transaction:
# four round trips for one job) as one atomic script, applying arq's rule: a due job is ours if
# no worker runs it; it is marked running for the in-progress timeout. Jobs stay in the queue
# while they run, so it reads as many as arq does and claims at most the free slots. It also
# empties the wake-up list: a token pushed after this call belongs to a job it could not see.
# KEYS: the queue, its wake-up list. ARGV: now (ms), offset, how many to read, how many to
# claim, in-progress timeout (ms), in-progress key prefix. Returns ids and scores, alternating.
_CLAIM_DUE = """
redis.call('DEL', KEYS[2])
local due = redis.call(
    'ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'WITHSCORES', 'LIMIT', ARGV[2], ARGV[3])
local claimed = {}
local wanted = tonumber(ARGV[4]) * 2
for i = 1, #due, 2 do
    if #claimed >= wanted then
        break
    end
    local in_progress = ARGV[6] .. due[i]
    if redis.call('EXISTS', in_progress) == 0 then
        redis.call('PSETEX', in_progress, ARGV[5], '1')
        claimed[#claimed + 1] = due[i]
        claimed[#claimed + 1] = due[i + 1]
    end
end
return claimed
"""


class WakeableWorker(Worker):
    """An arq worker that sleeps on a Redis list instead of a timer between polls, and polls
    and claims jobs in one round trip.

    arq polls its queue; with its default 0.5 s delay that delay is most of the latency from a
    webhook to its handler. `ArqQueue` pushes a token after each enqueue and this worker blocks
    on that list (BLPOP) for at most `poll_delay`, so it starts new jobs within a round trip and
    still finds retries and deferred jobs by the timer. Polling and claiming follow arq's own
    rules, written as one script (`_CLAIM_DUE`); this relies on arq 0.28's worker internals,
    which pyproject.toml pins.
    """

    _saturated = False
    _claim: AsyncScript | None = None

    async def main(self) -> None:
        if self._pool is None:
            self._pool = await create_pool(
                self.redis_settings,
                job_deserializer=self.job_deserializer,
                job_serializer=self.job_serializer,
                default_queue_name=self.queue_name,
                expires_extra_ms=self.expires_extra_ms,
            )
        log.info("worker listening", extra={"queue": self.queue_name})
        self.ctx["redis"] = self.pool
        if self.on_startup:
            await self.on_startup(self.ctx)
        wake = wake_key(self.queue_name)
        while True:
            await self._poll_iteration()
            running = [task for task in self.tasks.values() if not task.done()]
            if self._saturated and running:
                # Every slot is taken and more may be due: poll again once one frees up.
                await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                continue
            # redis-py types the timeout as int; Redis itself takes fractions of a second.
            woken = self.pool.blpop([wake], timeout=self.poll_delay_s)  # type: ignore[arg-type]
            await cast(Awaitable[Any], woken)

    async def _poll_iteration(self) -> None:
        self._saturated = False
        free = self.max_jobs - self.job_counter
        if self.allow_pick_jobs and free > 0:
            if self._claim is None:
                self._claim = self.pool.register_script(_CLAIM_DUE)  # hashed once, not per poll
            claimed = await self._claim(
                keys=[self.queue_name, wake_key(self.queue_name)],
                args=[
                    timestamp_ms(),
                    self._queue_read_offset,
                    self.queue_read_limit,
                    free,
                    int(self.in_progress_timeout_s * 1000),
                    in_progress_key_prefix,
                ],
            )
            for job_id, score in zip(claimed[::2], claimed[1::2], strict=True):
                await self.sem.acquire()  # free: at most `free` jobs were claimed
                self.job_counter += 1
                task = self.loop.create_task(self.run_job(job_id.decode(), int(float(score))))
                task.add_done_callback(lambda _: self._release_sem_dec_counter_on_complete())
                self.tasks[job_id.decode()] = task
            self._saturated = len(claimed) // 2 == free
        if self.allow_abort_jobs:
            await self._cancel_aborted_jobs()
        for job_id, task in list(self.tasks.items()):
            if task.done():
                del self.tasks[job_id]
                task.result()  # a crash in run_job surfaces here, as in arq
        await self.heart_beat()


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
