"""Repository configs for the automatic sources, read through the App and cached briefly, and
the restraint rule: Sentry and CI act only where a maintainer has opted in."""

from __future__ import annotations

import logging
from typing import Literal

from app.data.cache import InProcessCache
from app.data.ports import Cache
from app.events.model import Event
from app.github.api import GitHubRepository, RepoRef
from app.github.client import GitHubApp
from app.github.config import CONFIG_PATH, LoadedConfig, load_repo_config
from app.github.errors import GitHubNotFound

log = logging.getLogger(__name__)

# Webhooks arrive in bursts (a CI run's jobs, an alert storm): one read of the file per
# repository per minute is enough, and a change to it takes effect within that minute (at once
# on a push to the default branch that touches it, in the process that sees the push).
CONFIG_TTL_SECONDS = 60.0

AutomaticSource = Literal["sentry", "ci"]


class RepoConfigs:
    """`.github/kintsugi.yml` of installed repositories (with the owner's `.github` fallback
    and `_extends`), each file's text cached for `ttl` seconds."""

    def __init__(
        self, github: GitHubApp, cache: Cache | None = None, *, ttl: float = CONFIG_TTL_SECONDS
    ) -> None:
        self.github = github
        self.cache = cache or InProcessCache()
        self.ttl = ttl

    @staticmethod
    def _key(repo: RepoRef) -> str:
        return f"github:config:{repo.full_name.lower()}"

    async def load(
        self, installation_id: int, repo: RepoRef, *, fresh: bool = False
    ) -> LoadedConfig:
        client = await self.github.installation_client(installation_id)

        async def read(ref: RepoRef) -> str | None:
            key = self._key(ref)
            if not fresh:
                cached = await self.cache.get(key)
                if isinstance(cached, dict):
                    text = cached.get("text")
                    return text if isinstance(text, str) else None
            try:
                text = await GitHubRepository(client, ref).file_text(CONFIG_PATH)
            except GitHubNotFound:
                text = None
            # Absence is cached too: most repositories of an installation have no config.
            await self.cache.set(key, {"text": text}, ttl=self.ttl)
            return text

        return await load_repo_config(repo, read)

    async def forget(self, repo: RepoRef) -> None:
        await self.cache.delete(self._key(repo))

    async def forget_on_push(self, event: Event) -> None:
        """The `github.push` handler: a push that changes the config drops the cached text."""
        payload = event.payload
        repo = payload.get("repository")
        full_name = repo.get("full_name") if isinstance(repo, dict) else None
        if not isinstance(full_name, str) or "/" not in full_name:
            return
        touched: set[str] = set()
        for commit in payload.get("commits") or []:
            if isinstance(commit, dict):
                for field in ("added", "modified", "removed"):
                    touched.update(str(path) for path in commit.get(field) or [])
        if CONFIG_PATH in touched:
            await self.forget(RepoRef.parse(full_name))
            log.info("repository config changed", extra={"repository": full_name})


def automatic_refusal(loaded: LoadedConfig, source: AutomaticSource) -> str | None:
    """Why `source` may not act on this repository, or None when it may."""
    if not loaded.exists:
        return f"no {CONFIG_PATH}: automatic sources wait for the onboarding pull request"
    if not getattr(loaded.config.sources, source):
        return f"sources.{source} is off in {loaded.source}"
    return None
