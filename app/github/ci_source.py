"""CI → fix pull request: a failed `check_run` or `workflow_run` on a branch of the repository
is reproduced by running its tests at that commit in the sandbox, healed, and proposed as a pull
request against that branch — once per repository and commit, however many jobs failed."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from typing import Any

from app.events.model import Event, EventType
from app.events.store import DuplicateEventError, EventStore
from app.github.api import GitHubRepository, RepoRef
from app.github.client import GitHubApp
from app.github.fix_pr import CASE_CHECK_NAME, CHECK_NAME, SOURCE, FixPullRequests, HealTarget
from app.github.git import FIX_BRANCH_PREFIX
from app.github.repo_configs import RepoConfigs, automatic_refusal

log = logging.getLogger(__name__)

CI_EVENT_TYPES = (EventType.GITHUB_CHECK_RUN_COMPLETED, EventType.GITHUB_WORKFLOW_RUN_COMPLETED)


@dataclass(frozen=True)
class CiFailure:
    """One failed run: where (repository, branch, commit) and what (its name and page)."""

    repository: str
    branch: str
    head_sha: str
    name: str
    url: str


def ci_failure(event: Event, app_id: int) -> CiFailure | None:
    """The failure a completed check run or workflow run reports; None when it did not fail,
    is Kintsugi's own, ran on a `kintsugi/*` branch, or came from a fork."""
    payload = event.payload
    repo = payload.get("repository")
    full_name = repo.get("full_name") if isinstance(repo, dict) else None
    if not isinstance(full_name, str) or "/" not in full_name:
        return None
    if event.type == EventType.GITHUB_CHECK_RUN_COMPLETED:
        run = payload.get("check_run")
        if not isinstance(run, dict) or run.get("name") in (CHECK_NAME, CASE_CHECK_NAME):
            return None
        app = run.get("app")
        if isinstance(app, dict) and app.get("id") == app_id:
            return None
        suite = run.get("check_suite")
        branch = suite.get("head_branch") if isinstance(suite, dict) else None
        branch = branch or _pull_branch(run.get("pull_requests"))
    elif event.type == EventType.GITHUB_WORKFLOW_RUN_COMPLETED:
        run = payload.get("workflow_run")
        if not isinstance(run, dict):
            return None
        head_repo = run.get("head_repository")
        if isinstance(head_repo, dict) and head_repo.get("full_name") not in (None, full_name):
            return None
        branch = run.get("head_branch")
    else:
        return None
    sha = run.get("head_sha")
    if run.get("conclusion") != "failure" or not isinstance(sha, str) or not sha:
        return None
    if not isinstance(branch, str) or not branch or branch.startswith(FIX_BRANCH_PREFIX):
        return None
    return CiFailure(
        repository=full_name,
        branch=branch,
        head_sha=sha,
        name=str(run.get("name") or "CI"),
        url=str(run.get("html_url") or ""),
    )


def _pull_branch(pulls: Any) -> str | None:
    if isinstance(pulls, list) and pulls and isinstance(pulls[0], dict):
        head = pulls[0].get("head")
        ref = head.get("ref") if isinstance(head, dict) else None
        return ref if isinstance(ref, str) else None
    return None


class CiHealing:
    """The handler for completed check runs and workflow runs."""

    def __init__(
        self,
        github: GitHubApp,
        store: EventStore,
        fixes: FixPullRequests,
        configs: RepoConfigs,
    ) -> None:
        self.github = github
        self.store = store
        self.fixes = fixes
        self.configs = configs

    async def __call__(self, event: Event) -> None:
        failure = ci_failure(event, self.github.credentials.app_id)
        installation_id = event.metadata.installation_id
        if failure is None or installation_id is None:
            return
        handled_key = f"heal:{event.id}"
        claim_key = f"ci:{failure.repository.lower()}:{failure.head_sha}"
        if await self.store.find_by_idempotency_key(handled_key) is not None:
            return
        if not await self._ours_to_heal(claim_key, event):
            return
        extra = {"repository": failure.repository, "head_sha": failure.head_sha}
        repo = RepoRef.parse(failure.repository)
        loaded = await self.configs.load(installation_id, repo)
        refusal = automatic_refusal(loaded, "ci")
        if refusal is not None:
            log.info("CI failure not acted on", extra={**extra, "reason": refusal})
            return
        api = GitHubRepository(await self.github.installation_client(installation_id), repo)
        head = await api.branch_head(failure.branch)
        if head != failure.head_sha:
            log.info("CI failure on a commit that is no longer the head", extra=extra)
            return
        if not await self._claim(claim_key, failure, event):
            return
        details = await api.details()
        target = HealTarget(
            installation_id=installation_id,
            repository=failure.repository,
            clone_url=details.clone_url,
            base_branch=failure.branch,
            trigger_url=failure.url or f"{failure.name} on {failure.head_sha[:12]}",
            head_sha=failure.head_sha,
        )
        outcome = await self.fixes.heal(api, target, None, loaded.config, event)
        log.info("CI failure healed", extra={**extra, "outcome": outcome.message[:200]})
        record = event.caused(
            EventType.HEALING_TRIGGER_HANDLED,
            SOURCE,
            {
                "trigger": "ci",
                "repository": failure.repository,
                "branch": failure.branch,
                "head_sha": failure.head_sha,
                "trigger_url": failure.url,
                "fingerprint": outcome.fingerprint,
                "pull_url": outcome.pull_url,
                "message": outcome.message,
            },
        ).model_copy(update={"idempotency_key": handled_key})
        with contextlib.suppress(DuplicateEventError):
            await self.store.append(f"ci-healing/{failure.repository}", record)

    async def _ours_to_heal(self, claim_key: str, event: Event) -> bool:
        """False when another job (another check or run of the same commit) took it."""
        claim = await self.store.find_by_idempotency_key(claim_key)
        return claim is None or claim.metadata.causation_id == event.id

    async def _claim(self, claim_key: str, failure: CiFailure, event: Event) -> bool:
        """Take the commit for this job; a retry of the same job finds its own claim."""
        record = event.caused(
            EventType.CI_FAILURE_ACCEPTED,
            SOURCE,
            {
                "repository": failure.repository,
                "branch": failure.branch,
                "head_sha": failure.head_sha,
                "name": failure.name,
                "url": failure.url,
            },
        ).model_copy(update={"idempotency_key": claim_key})
        try:
            await self.store.append(f"ci-healing/{failure.repository}", record)
        except DuplicateEventError as duplicate:
            return duplicate.existing.metadata.causation_id == event.id
        return True
