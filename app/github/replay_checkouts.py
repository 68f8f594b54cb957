"""Recorded cases' repositories at their recorded commits, cloned through the App the way fix
pull requests clone them (installation token in the git process's environment only)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from app.errors import PermanentError
from app.github.client import GitHubApp
from app.github.git import Checkout


class InstallationCheckouts:
    """`app.evolution.recorded.Checkouts` for the repositories one installation can read."""

    def __init__(self, github: GitHubApp, installation_id: int, clone_urls: Mapping[str, str]):
        self.github = github
        self.installation_id = installation_id
        self.clone_urls = dict(clone_urls)

    async def check_out(self, repository: str, commit: str, into: Path) -> None:
        clone_url = self.clone_urls.get(repository)
        if clone_url is None:
            raise PermanentError(f"{repository} is not a repository of this installation")
        token = await self.github.installation_token(self.installation_id)
        checkout = await Checkout.clone(clone_url, token, into)
        await checkout.check_out(commit)
