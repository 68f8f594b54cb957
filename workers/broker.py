"""Redis as the queue's broker: which errors mean it is down, how long to wait before trying
it again, and telling a Redis that lost the queue's jobs from one that kept them."""

from __future__ import annotations

import logging

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

# What a command raises while Redis is stopped, restarting, loading its data or out of reach
# (OSError covers refused connections and TimeoutError). Anything else is a bug, not an outage.
REDIS_DOWN: tuple[type[Exception], ...] = (RedisConnectionError, RedisTimeoutError, OSError)


def describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


class Backoff:
    """Delays that double from `first` up to `cap`, until reset."""

    def __init__(self, first: float, cap: float) -> None:
        self.first = min(first, cap)
        self.cap = cap
        self._next = self.first

    def next(self) -> float:
        delay, self._next = self._next, min(self._next * 2, self.cap)
        return delay

    def reset(self) -> None:
        self._next = self.first


def run_marker(queue_name: str) -> str:
    """A key that lives as long as the Redis data holding the queue's jobs does."""
    return f"{queue_name}:run"


class RedisRuns:
    """Notices when the Redis behind a queue may no longer hold the jobs handed to it.

    A restart gives Redis a new `run_id` (`INFO server`); a failover to a replica does too. A
    marker key tells one more case apart: a Redis that came back empty while nobody watched
    (this process started after it). Either way the jobs of entries marked enqueued may be
    gone, and handing them over again is safe: enqueueing skips a job whose key still exists.
    """

    def __init__(self, queue_name: str) -> None:
        self.marker = run_marker(queue_name)
        self.run_id: str | None = None

    async def lost_jobs(self, redis: Redis) -> bool:
        """True, once, for each Redis run that may have lost jobs since the last call."""
        info = await redis.info("server")
        run_id = str(info["run_id"])
        if run_id == self.run_id:
            return False
        first_look = self.run_id is None
        self.run_id = run_id
        # SET NX succeeds only on a Redis without the marker: new, restarted empty or flushed.
        emptied = bool(await redis.set(self.marker, run_id, nx=True))
        if not first_look:
            log.warning(
                "Redis restarted; the jobs it held are handed over again",
                extra={"run_id": run_id},
            )
        return emptied or not first_look
