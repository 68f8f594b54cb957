"""Onboarding: on install, one pull request per repository that adds `.github/kintsugi.yml`
with the defaults and says what Kintsugi will do once it is merged — never a second one."""

from __future__ import annotations

import contextlib
import logging
import tempfile
from pathlib import Path
from typing import Any

from app.errors import PermanentError
from app.events.model import Event, EventType
from app.events.store import DuplicateEventError, EventStore
from app.github.api import GitHubRepository, RepoRef
from app.github.client import GitHubApp
from app.github.config import CONFIG_PATH
from app.github.git import Checkout
from app.github.pull_text import COMMANDS_HELP
from app.github.repo_configs import RepoConfigs

log = logging.getLogger(__name__)

ONBOARDING_BRANCH = "kintsugi/onboarding"
SOURCE = "kintsugi.onboarding"

DEFAULT_CONFIG = """\
# Kintsugi: validated fix pull requests for this repository.
# Every key below is shown with its default value; delete the ones you do not change.

# Which inputs may start healing. Sentry and CI act only while this file exists.
sources:
  sentry: true     # errors of the Sentry project mapped below
  ci: true         # failed check runs and workflow runs on pull requests and the default branch
  commands: true   # /heal, /status, /run … in issue and pull request comments

# How the tests run. Kintsugi finds it in the repository's files (pyproject.toml, requirements
# files, tox.ini, lock files...) and builds that environment; every fix is validated in it, in a
# sandbox without network access. Set any of these only to override what it finds.
environment: {}
#   python: "3.12"
#   install: ["pip install -e .[test]"]
#   test_command: DJANGO_SETTINGS_MODULE=site.settings python -m pytest tests

# Files Kintsugi never changes (glob patterns), e.g. ["migrations/*", "vendor/**"].
ignored_paths: []

# Labels put on every fix pull request.
labels: [kintsugi]

# Restraint: at most this many open fix pull requests, and this many new ones per hour.
max_open_prs: 5
prs_per_hour: 3

# Fix pull requests below this confidence (0-1) are opened as drafts; unset: the App's default.
# draft_below_confidence: 0.6

# The Sentry project whose errors belong to this repository (its slug or numeric id).
sentry:
  project: null

# Functions run on GitHub events or with `/run <name>`, in a sandbox, never with a token.
functions: {}
#   triage:
#     file: .github/functions/triage.py
#     handler: handle          # def handle(event, context) -> dict
#     on: [issues.opened]
#     timeout: 5
"""


def onboarding_body(repository: str) -> str:
    return "\n".join(
        [
            f"Kintsugi is installed on **{repository}**. This pull request adds "
            f"`{CONFIG_PATH}` with the default settings, each one explained.",
            "",
            "## What happens once this is merged",
            "",
            "- **Sentry**: an error in the Sentry project named under `sentry.project` opens a "
            "healing case; a fix that makes the tests pass becomes a pull request.",
            "- **CI**: a failed check run or workflow run on a pull request or the default branch "
            "is reproduced by running the tests at that commit in a sandbox; a validated fix "
            "becomes a pull request against that branch.",
            "- Kintsugi pushes only to `kintsugi/*` branches and never to your branches; every "
            "fix arrives as a pull request for you to review, with the evidence (tests before "
            "and after) and a confidence.",
            "- At most `max_open_prs` fix pull requests are open at once, and at most "
            "`prs_per_hour` are opened per hour.",
            "",
            "## Until then",
            "",
            "Nothing happens on its own: Sentry and CI wait for this file. Slash commands "
            "already work for people with write access, e.g. `/heal` with a traceback in an "
            "issue comment.",
            "",
            "Close this pull request to keep Kintsugi to commands only; it will not be opened "
            "again.",
            "",
            COMMANDS_HELP,
        ]
    )


def added_repositories(event: Event) -> list[str]:
    """The repositories an installation event gives the App."""
    field = (
        "repositories" if event.type.startswith("github.installation.") else ("repositories_added")
    )
    items: Any = event.payload.get(field)
    if not isinstance(items, list):
        return []
    return [
        str(item["full_name"])
        for item in items
        if isinstance(item, dict) and isinstance(item.get("full_name"), str)
    ]


class Onboarding:
    """The handler for `installation.created` and `installation_repositories.added`."""

    def __init__(
        self,
        github: GitHubApp,
        store: EventStore,
        configs: RepoConfigs,
        *,
        scratch_root: Path | None = None,
    ) -> None:
        self.github = github
        self.store = store
        self.configs = configs
        self.scratch_root = scratch_root

    async def __call__(self, event: Event) -> None:
        installation_id = event.metadata.installation_id
        if installation_id is None:
            return
        for full_name in added_repositories(event):
            try:
                await self.onboard(installation_id, RepoRef.parse(full_name), event)
            except PermanentError as error:
                # One unusable repository (empty, archived, missing permission) must not keep
                # the others from being onboarded; a retry would fail the same way.
                log.warning(
                    "repository not onboarded",
                    extra={"repository": full_name, "error": str(error)},
                )

    async def onboard(self, installation_id: int, repo: RepoRef, cause: Event) -> str | None:
        """Open the onboarding pull request; its URL, or None when none is needed."""
        key = f"onboarding:{repo.full_name.lower()}"
        extra = {"repository": repo.full_name, "installation_id": installation_id}
        if await self.store.find_by_idempotency_key(key) is not None:
            return None
        loaded = await self.configs.load(installation_id, repo, fresh=True)
        if loaded.exists:
            log.info("repository already configured; no onboarding", extra=extra)
            return None
        client = await self.github.installation_client(installation_id)
        api = GitHubRepository(client, repo)
        if await api.pulls_from(ONBOARDING_BRANCH):
            return None  # opened before (perhaps closed by a maintainer: that is an answer)
        details = await api.details()
        if details.archived:
            return None
        token = await self.github.installation_token(installation_id)
        with tempfile.TemporaryDirectory(prefix="kintsugi-onboard-", dir=self.scratch_root) as tmp:
            checkout = await Checkout.clone(
                details.clone_url, token, Path(tmp) / "repo", branch=details.default_branch
            )
            await checkout.commit_on_branch(
                ONBOARDING_BRANCH,
                {CONFIG_PATH: DEFAULT_CONFIG},
                "Configure Kintsugi\n\nAdd .github/kintsugi.yml with the default settings.\n",
            )
            await checkout.push(ONBOARDING_BRANCH)
        pull = await api.create_pull(
            title="Configure Kintsugi",
            body=onboarding_body(repo.full_name),
            head=ONBOARDING_BRANCH,
            base=details.default_branch,
            draft=False,
        )
        record = cause.caused(
            EventType.ONBOARDING_PR_OPENED,
            SOURCE,
            {"repository": repo.full_name, "pull_url": pull.html_url, "pull_number": pull.number},
        ).model_copy(update={"idempotency_key": key})
        with contextlib.suppress(DuplicateEventError):
            await self.store.append(f"onboarding/{repo.full_name}", record)
        log.info("onboarding pull request opened", extra={**extra, "pull": pull.number})
        return pull.html_url
