"""The worker class `kintsugi worker` runs: arq's, woken by a list instead of a poll timer,
claiming jobs in one round trip, and riding out Redis outages."""

from __future__ import annotations

import asyncio
import logging
import signal
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any, cast

from arq.connections import create_pool
from arq.constants import in_progress_key_prefix
from arq.utils import timestamp_ms
from arq.worker import Worker
from redis.commands.core import AsyncScript

from app.observability import QUEUE_RECONNECTS
from workers.broker import REDIS_DOWN, Backoff, RedisRuns, describe
from workers.queue import wake_key

log = logging.getLogger(__name__)

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


RequeueLost = Callable[[dict[str, Any]], Awaitable[int]]


class WakeableWorker(Worker):
    """An arq worker that sleeps on a Redis list instead of a timer between polls, polls and
    claims jobs in one round trip, and rides out Redis outages.

    arq polls its queue; with its default 0.5 s delay that delay is most of the latency from a
    webhook to its handler. `ArqQueue` pushes a token after each enqueue and this worker blocks
    on that list (BLPOP) for at most `poll_delay`, so it starts new jobs within a round trip and
    still finds retries and deferred jobs by the timer. Polling and claiming follow arq's own
    rules, written as one script (`_CLAIM_DUE`); this relies on arq 0.28's worker internals,
    which pyproject.toml pins.

    arq's own worker stops at the first Redis error. This one logs the outage once, tries
    Redis again with a backoff capped at `reconnect_max_seconds` and goes on; only a signal
    stops it. Jobs it runs meanwhile finish against the database; a finish Redis never heard
    of leaves the job to be retried when its claim runs out, which then finds it done. When
    Redis comes back without its data, the worker claims again the jobs it is still running,
    then hands over again (`requeue_lost`) the jobs the outbox says are queued.
    """

    _saturated = False
    _claim: AsyncScript | None = None

    def __init__(
        self,
        *args: Any,
        reconnect_max_seconds: float = 2.0,
        requeue_lost: RequeueLost | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.reconnect_max_seconds = reconnect_max_seconds
        self.requeue_lost = requeue_lost
        self.reconnects = 0
        self._runs = RedisRuns(self.queue_name)
        self._requeue_due = False
        self._next_look = 0.0

    async def main(self) -> None:
        await self._connect()
        log.info("worker listening", extra={"queue": self.queue_name})
        self.ctx["redis"] = self.pool
        if self.on_startup:
            await self.on_startup(self.ctx)
        while True:
            try:
                await self._consume()
            except REDIS_DOWN as error:
                await self._wait_for_redis(error)

    async def _connect(self) -> None:
        if self._pool is not None:
            return
        assert self.redis_settings is not None
        # One attempt per call: the waiting and its log line are this worker's, not arq's.
        settings = replace(self.redis_settings, conn_retries=0)
        backoff = Backoff(0.25, self.reconnect_max_seconds)
        logged = False
        while True:
            try:
                self._pool = await create_pool(
                    settings,
                    job_deserializer=self.job_deserializer,
                    job_serializer=self.job_serializer,
                    default_queue_name=self.queue_name,
                    expires_extra_ms=self.expires_extra_ms,
                )
                return
            except REDIS_DOWN as error:
                if not logged:
                    log.warning(
                        "Redis is unreachable; the worker waits for it",
                        extra={"error": describe(error)},
                    )
                    logged = True
            await asyncio.sleep(backoff.next())

    async def _consume(self) -> None:
        wake = wake_key(self.queue_name)
        while True:
            await self._look_at_redis()
            await self._poll_iteration()
            running = [task for task in self.tasks.values() if not task.done()]
            if self._saturated and running:
                # Every slot is taken and more may be due: poll again once one frees up (or
                # after the poll delay, to keep the heartbeat and the watch on Redis going).
                await asyncio.wait(
                    running, timeout=self.poll_delay_s, return_when=asyncio.FIRST_COMPLETED
                )
                continue
            # redis-py types the timeout as int; Redis itself takes fractions of a second.
            woken = self.pool.blpop([wake], timeout=self.poll_delay_s)  # type: ignore[arg-type]
            await cast(Awaitable[Any], woken)

    async def _wait_for_redis(self, error: BaseException) -> None:
        log.warning(
            "Redis is unreachable; the worker waits for it", extra={"error": describe(error)}
        )
        started = time.monotonic()
        backoff = Backoff(0.25, self.reconnect_max_seconds)
        while True:
            await asyncio.sleep(backoff.next())
            try:
                await self.pool.ping()
            except REDIS_DOWN:
                continue
            break
        self.reconnects += 1
        QUEUE_RECONNECTS.labels("worker").inc()
        log.info(
            "Redis reachable again; the worker resumes",
            extra={
                "outage_seconds": round(time.monotonic() - started, 1),
                "reconnects": self.reconnects,
            },
        )
        # The heartbeat key may be gone with Redis: write it on the next poll, not in an hour.
        self._last_health_check = 0
        self._next_look = 0.0

    async def _look_at_redis(self) -> None:
        """Once a second: has Redis lost its data since the last look? Then claim the running
        jobs again before anything else, and hand the lost ones over again."""
        now = time.monotonic()
        if now < self._next_look:
            return
        self._next_look = now + 1.0
        if await self._runs.lost_jobs(self.pool):
            await self._claim_running()
            self._requeue_due = self.requeue_lost is not None
        if self._requeue_due and self.requeue_lost is not None:
            await self.requeue_lost(self.ctx)
            self._requeue_due = False

    async def _claim_running(self) -> None:
        running = [job_id for job_id, task in self.tasks.items() if not task.done()]
        if not running:
            return
        lease = int(self.in_progress_timeout_s * 1000)
        async with self.pool.pipeline(transaction=False) as pipe:
            for job_id in running:
                pipe.psetex(in_progress_key_prefix + job_id, lease, b"1")
            await pipe.execute()
        log.info("running jobs claimed again on the restarted Redis", extra={"jobs": len(running)})

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
                try:
                    task.result()  # a crash in run_job surfaces here, as in arq
                except REDIS_DOWN as error:
                    # Its outcome is in the outbox; Redis retries it once its claim runs out
                    # (the retry finds it done), or lost it and has it handed over again.
                    log.info(
                        "a job's end was not recorded in Redis",
                        extra={"job_id": job_id, "error": describe(error)},
                    )
        await self.heart_beat()

    async def heart_beat(self) -> None:
        planned = [job.next_run for job in self.cron_jobs]
        try:
            await super().heart_beat()
        except REDIS_DOWN:
            # arq moved the cron jobs on before enqueueing them: put them back, so a run due
            # during the outage is enqueued once Redis is back instead of skipped.
            for job, next_run in zip(self.cron_jobs, planned, strict=True):
                job.next_run = next_run
            raise

    async def close(self) -> None:
        """arq's close, except that Redis being down at the time is no error: the heartbeat
        key expires by itself."""
        if not self._handle_signals:
            self.handle_sig(signal.SIGUSR1)
        if self._pool is None:
            return
        await asyncio.gather(*self.tasks.values(), return_exceptions=True)
        try:
            await self.pool.delete(self.health_check_key)
        except REDIS_DOWN as error:
            log.info(
                "heartbeat key left to expire: Redis is unreachable",
                extra={"error": describe(error)},
            )
        if self.on_shutdown:
            await self.on_shutdown(self.ctx)
        await self.pool.aclose(close_connection_pool=True)
        self._pool = None
