"""Job queues: arq on Redis, or the in-process runner used as the embedded default."""

from __future__ import annotations

import asyncio
import functools
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from arq.connections import ArqRedis, RedisSettings, create_pool
from arq.constants import job_key_prefix, result_key_prefix
from arq.jobs import serialize_job
from arq.utils import timestamp_ms
from redis.asyncio import Redis
from redis.commands.core import AsyncScript

from app import jsoncodec
from app.events.model import Event
from app.events.store import OutboxStatus
from workers.broker import RedisRuns, describe
from workers.jobs import EventJob, JobOutcome

log = logging.getLogger(__name__)

HANDLE_EVENT = "handle_event"
# Kept short: a worker only needs to know that something arrived, not how much.
MAX_WAKE_TOKENS = 64


RUN_FUNCTIONS = "run_functions"


def region_queue(queue_name: str, region: str) -> str:
    """The queue a worker started for `region` serves, and nothing else."""
    return f"{queue_name}:region:{region}"


def wake_key(queue_name: str) -> str:
    """The list workers block on between polls; every enqueue pushes a token onto it."""
    return f"{queue_name}:wake"


class CarriedEvent(bytes):
    """An event's JSON travelling in its job. arq writes every job's arguments into its log
    line with repr(); this one shows as its size, not as 11 kB of payload."""

    def __repr__(self) -> str:
        return f"<event: {len(self):,} bytes of JSON>"

    @classmethod
    def of(cls, event: Event) -> CarriedEvent:
        """The event's fields through pydantic, its payload through orjson: pydantic walks a
        free-form 10 kB payload three times slower, and this runs for every webhook."""
        fields = event.model_dump(mode="json", exclude={"payload"})
        fields["payload"] = event.payload
        return cls(jsoncodec.encode(fields))


@dataclass(frozen=True)
class Handover:
    """One event for the workers. A fresh event travels with the job, so the worker need not
    read it back; a recovered one (from the outbox) carries only its id."""

    event_id: uuid.UUID
    job_id: str
    event: Event | None = None
    # Seconds before a worker may start the job (a job Redis lost waits for its old runner).
    delay: float = 0.0

    @classmethod
    def fresh(cls, event: Event) -> Handover:
        return cls(event.id, str(event.id), event)


class JobQueue(Protocol):
    async def enqueue(self, event_id: uuid.UUID, *, job_id: str | None = None) -> None:
        """Hand the event to a worker; `job_id` (default: the event id) de-duplicates."""
        ...

    async def enqueue_many(self, handovers: Sequence[Handover]) -> int:
        """Hand several events over at once; returns how many jobs were new."""
        ...

    async def ping(self) -> bool: ...

    async def lost_jobs(self) -> bool:
        """True, once, after the queue may have lost jobs handed to it (Redis restarted)."""
        ...

    async def close(self) -> None: ...


async def _wake(redis: ArqRedis, queue_name: str) -> None:
    """Push a wake-up token for the queue's workers (the list is capped: tokens carry no data)."""
    async with redis.pipeline(transaction=False) as pipe:
        pipe.lpush(wake_key(queue_name), 1)
        pipe.ltrim(wake_key(queue_name), 0, MAX_WAKE_TOKENS - 1)
        await pipe.execute()


# arq's enqueue_job for a batch, in one round trip: for each job not queued, running or
# finished (no job or result key), the job's data with its expiry and its place in the queue;
# then one wake-up token for the workers if anything was added.
# KEYS: queue, wake list, then per job its job key and result key.
# ARGV: expiry ms, wake tokens kept, then per job its id, score and serialized data.
_ENQUEUE_MANY = """
local added = 0
local jobs = (#KEYS - 2) / 2
for n = 0, jobs - 1 do
    local job_key, result_key = KEYS[3 + 2 * n], KEYS[4 + 2 * n]
    if redis.call('EXISTS', job_key, result_key) == 0 then
        redis.call('PSETEX', job_key, ARGV[1], ARGV[5 + 3 * n])
        redis.call('ZADD', KEYS[1], ARGV[4 + 3 * n], ARGV[3 + 3 * n])
        added = added + 1
    end
end
if added > 0 then
    redis.call('LPUSH', KEYS[2], 1)
    redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[2]) - 1)
end
return added
"""


class ArqQueue:
    """Enqueues `handle_event` jobs on Redis for `kintsugi worker` processes.

    Jobs are written exactly as arq's `enqueue_job` writes them (the worker cannot tell), but a
    whole batch goes in one atomic script call instead of a WATCH/MULTI transaction per job.
    """

    def __init__(self, redis_url: str, *, queue_name: str) -> None:
        self.redis_settings = RedisSettings.from_dsn(redis_url)
        # Fail fast while Redis is down: the outbox keeps the event and the relay retries.
        self.redis_settings.conn_retries = 0
        self.redis_settings.conn_timeout = 1
        self.queue_name = queue_name
        self._pool: ArqRedis | None = None
        self._sender: Redis | None = None
        self._enqueue_script: AsyncScript | None = None
        self._runs = RedisRuns(queue_name)
        # Why the last ping failed, for /readyz and the dashboard.
        self.last_error: str | None = None

    async def _redis(self) -> ArqRedis:
        if self._pool is None:
            self._pool = await create_pool(self.redis_settings, default_queue_name=self.queue_name)
            # Enqueues keep a connection of their own: a command then goes out as soon as it is
            # called, without the pool's liveness check (which waits a turn of the event loop),
            # so a webhook's job is on its way before the webhook answers.
            self._sender = sender = self._pool.client()
            self._enqueue_script = sender.register_script(_ENQUEUE_MANY)
        return self._pool

    async def enqueue(self, event_id: uuid.UUID, *, job_id: str | None = None) -> None:
        await self.enqueue_many([Handover(event_id, job_id or str(event_id))])

    async def enqueue_many(self, handovers: Sequence[Handover]) -> int:
        if not handovers:
            return 0
        redis = await self._redis()
        assert self._enqueue_script is not None
        now = timestamp_ms()
        keys: list[str] = [self.queue_name, wake_key(self.queue_name)]
        args: list[Any] = [redis.expires_extra_ms, MAX_WAKE_TOKENS]
        for handover in handovers:
            job_args: tuple[Any, ...] = (str(handover.event_id),)
            if handover.event is not None:
                # As JSON: cheaper to write, pickle and read than a nested dict.
                job_args += (CarriedEvent.of(handover.event),)
            data = serialize_job(HANDLE_EVENT, job_args, {}, None, now)
            keys += [job_key_prefix + handover.job_id, result_key_prefix + handover.job_id]
            args += [handover.job_id, now + int(handover.delay * 1000), data]
        return int(await self._enqueue_script(keys=keys, args=args))

    async def enqueue_functions(self, region: str, event_id: uuid.UUID, names: list[str]) -> None:
        """Hand an event's functions to the workers of `region`, once per event and region."""
        redis = await self._redis()
        queue = region_queue(self.queue_name, region)
        await redis.enqueue_job(
            RUN_FUNCTIONS,
            str(event_id),
            names,
            _job_id=f"{event_id}:functions:{region}",
            _queue_name=queue,
        )
        await _wake(redis, queue)

    async def depth(self) -> int:
        redis = await self._redis()
        return int(await redis.zcard(self.queue_name))

    async def ping(self) -> bool:
        try:
            redis = await self._redis()
            answered = bool(await redis.ping())
        except Exception as error:
            self.last_error = describe(error)
            return False
        self.last_error = None
        return answered

    async def lost_jobs(self) -> bool:
        return await self._runs.lost_jobs(await self._redis())

    async def close(self) -> None:
        if self._sender is not None:
            await self._sender.aclose()
            self._sender = None
        if self._pool is not None:
            await self._pool.aclose()
            self._pool = None


class InProcessQueue:
    """Runs jobs on asyncio tasks in this process, with the same retries and timeouts as arq.

    Nothing here is durable, and nothing needs to be: an event still pending or enqueued in the
    outbox when the process stops is handed over again by the relay on the next start. `close`
    puts the entries of the jobs it leaves unfinished back to pending, so that the next start's
    first relay pass takes them at once (entries left enqueued wait for the stale-entry sweep).
    A job id is refused while its job is queued or running and, for a job that did not wait for
    its done mark, until that mark is written: a relay pass that read the entry before it was
    marked cannot run the job again."""

    def __init__(self, job: EventJob, *, concurrency: int = 4) -> None:
        self.job = job
        self.concurrency = concurrency
        self._queue: asyncio.Queue[tuple[str, uuid.UUID, int, Event | None]] = asyncio.Queue()
        # Job id -> event id of every job refused again: queued, running, waiting to retry, or
        # finished with its done mark not yet written.
        self._in_flight: dict[str, uuid.UUID] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._retries: set[asyncio.TimerHandle] = set()

    async def start(self) -> None:
        if not self._tasks:
            self._tasks = [
                asyncio.create_task(self._work(), name=f"in-process-worker-{n}")
                for n in range(self.concurrency)
            ]

    async def enqueue(self, event_id: uuid.UUID, *, job_id: str | None = None) -> None:
        await self.enqueue_many([Handover(event_id, job_id or str(event_id))])

    async def enqueue_many(self, handovers: Sequence[Handover]) -> int:
        added = 0
        for handover in handovers:
            if handover.job_id in self._in_flight:
                continue  # like arq: a job id that is queued or running is not queued again
            self._in_flight[handover.job_id] = handover.event_id
            self._queue.put_nowait((handover.job_id, handover.event_id, 1, handover.event))
            added += 1
        return added

    async def join(self) -> None:
        """Wait until every job queued so far (and its retries) has finished and is marked."""
        while True:
            await self._queue.join()
            if not self._retries:
                await self.job.flush()
                return
            await asyncio.sleep(0.01)

    async def ping(self) -> bool:
        return bool(self._tasks) and not any(task.done() for task in self._tasks)

    def depth(self) -> int:
        return self._queue.qsize()

    async def lost_jobs(self) -> bool:
        return False  # its jobs live and die with this process, which the outbox outlives

    async def close(self) -> None:
        for handle in self._retries:
            handle.cancel()
        self._retries.clear()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        await self.job.flush()
        await self._hand_back_unfinished()

    async def _hand_back_unfinished(self) -> None:
        # Jobs whose done mark the flush above wrote are no longer enqueued: the conditional
        # mark leaves them alone.
        unfinished, self._in_flight = list(self._in_flight.values()), {}
        if not unfinished:
            return
        try:
            await self.job.store.outbox_mark_many(
                unfinished, OutboxStatus.PENDING, only_if=OutboxStatus.ENQUEUED
            )
        except Exception as error:  # they stay enqueued: the stale-entry sweep finds them
            log.warning(
                "could not put unfinished jobs back to pending",
                extra={"jobs": len(unfinished), "error": repr(error)},
            )
            return
        log.info("unfinished jobs put back to pending", extra={"jobs": len(unfinished)})

    async def _work(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            key, event_id, attempt, event = await self._queue.get()
            # The id stays refused while a retry is due or the done mark is unwritten, and when
            # the job is cancelled (the queue is closing: `close` hands it back).
            try:
                result = await self.job.run(event_id, attempt, event)
            except Exception:
                log.exception("in-process job crashed", extra={"event_id": str(event_id)})
                self._in_flight.pop(key, None)
            else:
                if result.outcome is JobOutcome.RETRY:
                    self._schedule_retry(loop, key, event_id, attempt + 1, result.retry_in)
                elif result.marked is not None and not result.marked.done():
                    result.marked.add_done_callback(functools.partial(self._release, key))
                else:
                    self._in_flight.pop(key, None)
            finally:
                self._queue.task_done()

    def _release(self, key: str, _marked: asyncio.Future[None]) -> None:
        self._in_flight.pop(key, None)

    def _schedule_retry(
        self,
        loop: asyncio.AbstractEventLoop,
        key: str,
        event_id: uuid.UUID,
        attempt: int,
        delay: float,
    ) -> None:
        def requeue() -> None:
            self._retries.discard(handle)
            self._queue.put_nowait((key, event_id, attempt, None))

        handle = loop.call_later(delay, requeue)
        self._retries.add(handle)
