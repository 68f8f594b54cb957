"""Caches behind the `Cache` port: Redis when configured, an in-process TTL cache otherwise."""

from __future__ import annotations

import json
import logging
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from app.data.errors import CacheValueError
from app.data.ports import Cache
from app.errors import PermanentError, TransientError
from app.settings import Settings

logger = logging.getLogger(__name__)

DEFAULT_MAX_ENTRIES = 10_000


def encode_value(key: str, value: Any) -> str:
    """JSON text for a cache value; both caches store text so they behave the same."""
    try:
        return json.dumps(value, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise CacheValueError(f"cache value for {key!r} is not JSON-serialisable: {exc}") from exc


def checked_ttl(ttl: float | None) -> float | None:
    """A TTL in seconds, refusing values that would store nothing or store forever by mistake."""
    if ttl is None:
        return None
    if isinstance(ttl, bool) or not isinstance(ttl, int | float) or not math.isfinite(ttl):
        raise CacheValueError(f"cache ttl must be a finite number of seconds, got {ttl!r}")
    if ttl <= 0:
        raise CacheValueError(f"cache ttl must be positive, got {ttl!r}")
    return float(ttl)


class InProcessCache:
    """A bounded least-recently-used cache with per-key expiry, for the embedded default.

    It lives in one process: with several workers each has its own copy, so use Redis when
    entries must be shared or survive restarts.
    """

    def __init__(
        self,
        *,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_entries < 1:
            raise CacheValueError(f"max_entries must be at least 1, got {max_entries}")
        self._max_entries = max_entries
        self._clock = clock
        # key → (expiry on the monotonic clock or None, JSON text)
        self._entries: OrderedDict[str, tuple[float | None, str]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    async def get(self, key: str) -> Any:
        entry = self._entries.get(key)
        if entry is None:
            return None
        expires_at, payload = entry
        if expires_at is not None and expires_at <= self._clock():
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return json.loads(payload)

    async def set(self, key: str, value: Any, ttl: float | None = None) -> None:
        seconds = checked_ttl(ttl)
        payload = encode_value(key, value)
        expires_at = None if seconds is None else self._clock() + seconds
        self._entries[key] = (expires_at, payload)
        self._entries.move_to_end(key)
        if len(self._entries) > self._max_entries:
            self._evict()

    async def delete(self, key: str) -> bool:
        return self._entries.pop(key, None) is not None

    def _evict(self) -> None:
        # Expired entries go first; only then the least recently used live ones.
        now = self._clock()
        expired = [k for k, (exp, _) in self._entries.items() if exp is not None and exp <= now]
        for key in expired:
            del self._entries[key]
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)


class RedisCache:
    """The cache on Redis: JSON text under `prefix + key`, expiry kept by Redis itself."""

    def __init__(self, redis: Redis, *, prefix: str = "kintsugi:cache:") -> None:
        self._redis = redis
        self._prefix = prefix

    async def get(self, key: str) -> Any:
        try:
            payload = await self._redis.get(self._prefix + key)
        except RedisError as exc:
            raise _translate(exc, "get", key) from exc
        if payload is None:
            return None
        text = payload.decode() if isinstance(payload, bytes) else str(payload)
        return json.loads(text)

    async def set(self, key: str, value: Any, ttl: float | None = None) -> None:
        seconds = checked_ttl(ttl)
        payload = encode_value(key, value)
        # Milliseconds so sub-second TTLs are kept rather than rounded to zero.
        px = None if seconds is None else max(1, round(seconds * 1000))
        try:
            await self._redis.set(self._prefix + key, payload, px=px)
        except RedisError as exc:
            raise _translate(exc, "set", key) from exc

    async def delete(self, key: str) -> bool:
        try:
            removed = await self._redis.delete(self._prefix + key)
        except RedisError as exc:
            raise _translate(exc, "delete", key) from exc
        return bool(removed)


def _translate(exc: RedisError, operation: str, key: str) -> Exception:
    logger.warning("redis cache %s failed", operation, extra={"cache_key": key, "error": repr(exc)})
    if isinstance(exc, RedisConnectionError | RedisTimeoutError):
        return TransientError(f"redis unavailable during cache {operation}: {exc}")
    return PermanentError(f"redis refused cache {operation} of {key!r}: {exc}")


def shared_cache(settings: Settings) -> Cache:
    """The app's cache: on Redis when `REDIS_URL` is set (shared by the server and its workers),
    otherwise in this process. On Redis its keys live under the deployment's queue name, so two
    deployments sharing a Redis never read each other's tokens or configs."""
    if settings.redis_url:
        return RedisCache(
            Redis.from_url(settings.redis_url), prefix=f"{settings.queue_name}:cache:"
        )
    return InProcessCache()
