"""The cache port: one suite over Redis and the in-process TTL cache, plus each one's own limits."""

from __future__ import annotations

import asyncio

import pytest
from redis.asyncio import Redis

from app.data import Cache, CacheValueError, InProcessCache, RedisCache, UnifiedDataLayer
from app.errors import TransientError


async def test_a_value_round_trips_as_json(cache: Cache) -> None:
    value = {"login": "octocat", "scopes": ["repo", "read:org"], "id": 1, "admin": False}
    await cache.set("installation:42", value, ttl=60)
    assert await cache.get("installation:42") == value


async def test_missing_keys_read_as_none_and_delete_reports_absence(cache: Cache) -> None:
    assert await cache.get("never-set") is None
    assert await cache.delete("never-set") is False
    await cache.set("token", "abc")
    assert await cache.delete("token") is True
    assert await cache.get("token") is None


async def test_setting_again_replaces_the_value(cache: Cache) -> None:
    await cache.set("config:sha1", {"heal": True}, ttl=60)
    await cache.set("config:sha1", {"heal": False}, ttl=60)
    assert await cache.get("config:sha1") == {"heal": False}


async def test_cached_values_are_copies_not_shared_objects(cache: Cache) -> None:
    value = {"labels": ["bug"]}
    await cache.set("k", value)
    value["labels"].append("mutated")
    read = await cache.get("k")
    read["labels"].append("again")
    assert await cache.get("k") == {"labels": ["bug"]}


async def test_entries_expire_after_their_ttl(cache: Cache) -> None:
    await cache.set("short", "soon gone", ttl=0.15)
    await cache.set("long", "stays", ttl=60)
    assert await cache.get("short") == "soon gone"
    await asyncio.sleep(0.3)
    assert await cache.get("short") is None
    assert await cache.get("long") == "stays"


@pytest.mark.parametrize("ttl", [0, -5, float("nan"), float("inf"), "60"])
async def test_nonsense_ttls_are_refused(cache: Cache, ttl: object) -> None:
    with pytest.raises(CacheValueError, match="ttl"):
        await cache.set("k", 1, ttl=ttl)  # type: ignore[arg-type]  # the point is a bad type
    assert await cache.get("k") is None


async def test_values_that_are_not_json_are_refused(cache: Cache) -> None:
    with pytest.raises(CacheValueError, match="JSON"):
        await cache.set("k", {"when": object()})
    with pytest.raises(CacheValueError, match="JSON"):
        await cache.set("k", float("nan"))
    assert await cache.get("k") is None


async def test_layer_cache_methods_follow_the_seed_names(cache: Cache) -> None:
    layer = UnifiedDataLayer(cache=cache)
    await layer.cache_set("user:123", {"name": "Ada"}, ttl=3600)
    assert await layer.cache_get("user:123") == {"name": "Ada"}
    assert await layer.cache_delete("user:123") is True
    assert await layer.cache_get("user:123") is None


def test_without_redis_the_layer_caches_in_process() -> None:
    assert isinstance(UnifiedDataLayer().cache, InProcessCache)


async def test_in_process_cache_expires_on_its_clock_and_evicts_least_recently_used() -> None:
    now = [1000.0]
    cache = InProcessCache(max_entries=2, clock=lambda: now[0])
    await cache.set("a", 1, ttl=10)
    await cache.set("b", 2)
    assert await cache.get("a") == 1  # "a" is now the most recently used
    await cache.set("c", 3)
    assert await cache.get("b") is None
    assert (await cache.get("a"), await cache.get("c")) == (1, 3)
    now[0] += 10
    assert await cache.get("a") is None
    assert len(cache) == 1


@pytest.mark.redis
async def test_redis_cache_keeps_keys_under_its_prefix_with_a_redis_expiry(
    redis_client: Redis, redis_prefix: str
) -> None:
    layer = UnifiedDataLayer(redis_conn=redis_client)
    assert isinstance(layer.cache, RedisCache)
    cache = RedisCache(redis_client, prefix=redis_prefix)
    try:
        await cache.set("token", {"t": "x"}, ttl=30)
        raw = await redis_client.get(f"{redis_prefix}token")
        assert raw == b'{"t":"x"}'
        assert 0 < await redis_client.pttl(f"{redis_prefix}token") <= 30_000
    finally:
        await redis_client.delete(f"{redis_prefix}token")


async def test_unreachable_redis_is_a_transient_error() -> None:
    # Port 1 on loopback refuses at once: no server listens there.
    client = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1)
    try:
        with pytest.raises(TransientError, match="redis unavailable"):
            await RedisCache(client).get("k")
    finally:
        await client.aclose()


def test_the_shared_cache_is_redis_when_configured_and_in_process_otherwise() -> None:
    from app.data.cache import InProcessCache, RedisCache, shared_cache
    from app.settings import Settings

    on_redis = Settings(_env_file=None, redis_url="redis://127.0.0.1:6379/9")  # type: ignore[call-arg]
    embedded = Settings(_env_file=None)  # type: ignore[call-arg]

    assert isinstance(shared_cache(on_redis), RedisCache)
    assert isinstance(shared_cache(embedded), InProcessCache)
