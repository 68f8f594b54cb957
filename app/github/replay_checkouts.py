"""Recorded cases' repositories at their recorded commits, cloned through the App the way fix
pull requests clone them (installation token in the git process's environment only)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from pathlib import Path

from app.environments.config import EnvironmentConfig
from app.errors import PermanentError
from app.events.model import EventType
from app.events.store import EventStore
from app.evolution.history import read_events
from app.evolution.recorded import RecordedSource, recorded_installations
from app.github.api import GitHubRepository, RepoRef
from app.github.auth import app_credentials
from app.github.client import GitHubApp
from app.github.config import read_checkout_config
from app.github.git import Checkout
from app.settings import Settings

log = logging.getLogger(__name__)


class InstallationCheckouts:
    """`app.evolution.recorded.Checkouts` for the repositories one installation can read."""

    def __init__(self, github: GitHubApp, installation_id: int, clone_urls: Mapping[str, str]):
        self.github = github
        self.installation_id = installation_id
        self.clone_urls = dict(clone_urls)

    async def check_out(self, repository: str, commit: str, into: Path) -> EnvironmentConfig:
        clone_url = self.clone_urls.get(repository)
        if clone_url is None:
            raise PermanentError(f"{repository} is not a repository of this installation")
        token = await self.github.installation_token(self.installation_id)
        checkout = await Checkout.clone(clone_url, token, into)
        await checkout.check_out(commit)
        return read_checkout_config(into).config.environment_overrides()


class AppCheckouts:
    """`app.evolution.recorded.Checkouts` for every repository a case was recorded in, each
    cloned through the installation its newest case recorded (the log says which), at the
    clone URL GitHub gives that installation now.

    Each repository is looked up once per run: one the App can no longer read fails every
    check-out of its cases with the same reason, asked of GitHub once."""

    def __init__(self, github: GitHubApp, store: EventStore) -> None:
        self.github = github
        self.store = store
        self._installations: dict[str, int] | None = None
        self._routes: dict[str, tuple[int, str] | PermanentError] = {}
        self._lock = asyncio.Lock()

    async def check_out(self, repository: str, commit: str, into: Path) -> EnvironmentConfig:
        installation_id, clone_url = await self._route(repository)
        token = await self.github.installation_token(installation_id)
        checkout = await Checkout.clone(clone_url, token, into)
        await checkout.check_out(commit)
        return read_checkout_config(into).config.environment_overrides()

    async def _route(self, repository: str) -> tuple[int, str]:
        async with self._lock:
            if repository not in self._routes:
                self._routes[repository] = await self._look_up(repository)
        route = self._routes[repository]
        if isinstance(route, PermanentError):
            raise route
        return route

    async def _look_up(self, repository: str) -> tuple[int, str] | PermanentError:
        if self._installations is None:
            opened = await read_events(self.store, [EventType.HEALING_CASE_OPENED])
            self._installations = recorded_installations(opened)
        installation_id = self._installations.get(repository)
        if installation_id is None:
            return PermanentError(
                f"no installation was recorded for {repository}'s cases (recorded before "
                "cases kept it), so it cannot be cloned through the App"
            )
        try:
            client = await self.github.installation_client(installation_id)
            details = await GitHubRepository(client, RepoRef.parse(repository)).details()
        except Exception as error:  # uninstalled, removed from the installation, or deleted
            reason = (
                f"the App can no longer read {repository} through installation "
                f"{installation_id}: {str(error)[:200] or type(error).__name__}"
            )
            log.warning(
                "recorded cases' repository unreachable",
                extra={"repository": repository, "installation": installation_id},
            )
            return PermanentError(reason)
        if not details.clone_url:
            return PermanentError(f"GitHub gave no clone URL for {repository}")
        return installation_id, details.clone_url


def app_recorded_source(
    settings: Settings, store: EventStore, *, github: GitHubApp | None = None
) -> RecordedSource | None:
    """The newest `EVOLUTION_RECORDED_CASES` recorded cases of all repositories together, each
    cloned through its own installation; None when no App is configured or the count is 0."""
    if settings.evolution_recorded_cases <= 0:
        return None
    if github is None:
        credentials = app_credentials(settings)
        if credentials is None:
            return None
        github = GitHubApp(credentials, api_url=settings.github_api_url)
    return RecordedSource(AppCheckouts(github, store), max_cases=settings.evolution_recorded_cases)
