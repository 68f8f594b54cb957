"""The environment cache as the settings describe it: one per process, over one sandbox."""

from __future__ import annotations

from typing import Any

from app.environments.build import BuildLimits, EnvironmentBuilder
from app.environments.cache import EnvironmentCache
from app.environments.index import package_index
from app.settings import Settings


def environment_cache(settings: Settings, sandbox: Any) -> EnvironmentCache:
    """The cache under ENVIRONMENT_CACHE_DIR, building with `sandbox` from the configured index."""
    hosts = [host.strip() for host in settings.environment_index_hosts.split(",") if host.strip()]
    index = package_index(settings.environment_index_url, hosts)
    builder = EnvironmentBuilder(
        sandbox,
        index,
        limits=BuildLimits(
            seconds=settings.environment_build_seconds,
            memory_mb=settings.environment_build_memory_mb,
            disk_mb=settings.environment_build_disk_mb,
        ),
    )
    root = settings.environment_cache_dir or settings.data_dir / "environments"
    return EnvironmentCache(root, builder, max_bytes=settings.environment_cache_mb * 1024 * 1024)
