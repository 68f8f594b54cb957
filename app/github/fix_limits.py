"""Restraint per repository: how many Kintsugi pull requests may be open, and opened per hour."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.events.model import EventType
from app.events.store import EventStore
from app.github.api import RepositoryApi
from app.github.config import RepoConfig


async def limit_refusal(
    api: RepositoryApi, store: EventStore, repository: str, config: RepoConfig
) -> str | None:
    """Why a found fix may not become a pull request now; None when it may."""
    open_fixes = [ref for head, ref in await api.open_pulls() if head.startswith("kintsugi/")]
    if len(open_fixes) >= config.max_open_prs:
        return (
            f"A fix was found, but {len(open_fixes)} Kintsugi pull requests are already open "
            f"(max_open_prs: {config.max_open_prs}). Merge or close some, then `/heal` again."
        )
    since = datetime.now(UTC) - timedelta(hours=1)
    opened = await store.read_all(types=[EventType.HEALING_PR_OPENED], limit=10_000)
    recent = [
        e for e in opened if e.payload.get("repository") == repository and e.occurred_at >= since
    ]
    if len(recent) >= config.prs_per_hour:
        return (
            f"A fix was found, but {len(recent)} pull requests were opened here in the last "
            f"hour (prs_per_hour: {config.prs_per_hour}). `/heal` again later."
        )
    return None
