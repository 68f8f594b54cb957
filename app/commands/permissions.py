"""Who may run commands: write, maintain or admin on the repository, asked of GitHub and
remembered briefly — and whose text a command may use: only the text of such people."""

from __future__ import annotations

from app.commands.parse import CommandRequest
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


async def issue_text_trusted(api: RepositoryApi, request: CommandRequest, cache: Cache) -> bool:
    """Whether the issue's title and description may go into a command's input (the LLM, a
    pull request): only when whoever wrote the issue may run commands too. The command's own
    comment always may: its author was checked before the command ran."""
    if not request.issue_author:
        return False
    return await may_run_commands(api, request.issue_author, cache)
