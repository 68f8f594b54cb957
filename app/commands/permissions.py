"""Who may run commands: write, maintain or admin on the repository, asked of GitHub and
remembered briefly."""

from __future__ import annotations

from app.data.ports import Cache
from app.github.api import RepositoryApi

ALLOWED = frozenset({"admin", "maintain", "write"})
PERMISSION_TTL_SECONDS = 60.0


async def may_run_commands(api: RepositoryApi, login: str, cache: Cache) -> bool:
    key = f"github:permission:{api.repo.full_name.lower()}:{login.lower()}"
    cached = await cache.get(key)
    if isinstance(cached, str):
        return cached in ALLOWED
    permission = await api.permission(login)
    await cache.set(key, permission, ttl=PERMISSION_TTL_SECONDS)
    return permission in ALLOWED
