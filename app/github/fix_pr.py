"""From an incident in an installed repository to a fix pull request: clone with the
installation token, heal, push `kintsugi/fix-<fingerprint>`, verify with a check run, open the
PR — one per fingerprint, within the repository's limits, every step recorded as an event."""

from __future__ import annotations

import fnmatch
import logging
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from app.events.model import Event, EventType
from app.events.store import EventStore
from app.github.api import RepositoryApi
from app.github.client import GitHubApp
from app.github.config import RepoConfig
from app.github.git import Checkout
from app.github.pull_text import branch_name, commit_message, pull_body, pull_title, scrub
from app.healing import Budget, Fix, Incident
from app.healing.engine import build_healer
from app.healing.incidents import IncidentOutsideRepository, UnreadableIncident
from app.healing.runner import CommandRunner, SandboxCommandRunner
from app.healing.suite import SuiteReport, incident_from_suite, run_suite

log = logging.getLogger(__name__)

SOURCE = "kintsugi.github"
CHECK_NAME = "Kintsugi fix verification"


@dataclass(frozen=True)
class HealTarget:
    """Which repository to heal and what asked for it."""

    installation_id: int
    repository: str
    clone_url: str
    base_branch: str
    trigger_url: str
    # When set, heal only this commit: a branch that has moved on is left alone (CI).
    head_sha: str | None = None


@dataclass(frozen=True)
class HealOutcome:
    """What to tell the person who asked: a sentence or two, and the PR when there is one."""

    message: str
    pull_url: str | None = None
    fingerprint: str | None = None


class FixPullRequests:
    """Heals incidents in installed repositories and proposes the fixes as pull requests."""

    def __init__(
        self,
        github: GitHubApp,
        store: EventStore,
        *,
        runner: CommandRunner | None = None,
        budget: Budget | None = None,
        draft_below: float = 0.6,
        secrets: Sequence[str] = (),
        scratch_root: Path | None = None,
        llm_for_case: Callable[[], Any] | None = None,
    ) -> None:
        # A fresh LLM provider per case, so the per-case cost budget starts from zero each time.
        self.llm_for_case = llm_for_case
        self.github = github
        self.store = store
        self.runner = runner
        self.budget = budget or Budget()
        self.draft_below = draft_below
        self.secrets = list(secrets)
        self.scratch_root = scratch_root

    async def heal(
        self,
        api: RepositoryApi,
        target: HealTarget,
        incident: Incident | None,
        config: RepoConfig,
        cause: Event,
    ) -> HealOutcome:
        """Heal `incident`, or, when it is None, whatever the repository's tests show failing
        at the base branch's head (a failed CI run, reproduced in the sandbox)."""
        token = await self.github.installation_token(target.installation_id)
        secrets = [*self.secrets, token.get_secret_value()]
        with tempfile.TemporaryDirectory(prefix="kintsugi-heal-", dir=self.scratch_root) as tmp:
            checkout = await Checkout.clone(
                target.clone_url, token, Path(tmp) / "repo", branch=target.base_branch
            )
            if target.head_sha and checkout.head_sha != target.head_sha:
                return HealOutcome(
                    f"`{target.base_branch}` has moved on from {target.head_sha[:12]}; "
                    "nothing to heal there any more."
                )
            runner = self.runner or SandboxCommandRunner()
            baseline: SuiteReport | None = None
            if incident is None:
                try:
                    incident, baseline = await self._reproduce(checkout, runner, config)
                except UnreadableIncident as error:
                    return HealOutcome(
                        f"The failure did not reproduce at {checkout.head_sha[:12]} in "
                        f"Kintsugi's sandbox ({error}), so there is nothing to heal."
                    )

            async def publish(event: Event) -> None:
                stamped = cause.caused(
                    event.type, event.source, {**event.payload, "repository": target.repository}
                )
                await self.store.append(event.stream, stamped)

            healer = build_healer(
                runner=runner,
                llm_provider=self.llm_for_case() if self.llm_for_case else None,
                publish=publish,
                budget=self.budget,
                test_command=config.test_command,
            )
            try:
                result = await healer.heal(
                    checkout.root, incident, test_command=config.test_command, baseline=baseline
                )
            except IncidentOutsideRepository:
                return HealOutcome(
                    "None of the traceback's files is in this repository at "
                    f"`{target.base_branch}`, so there is nothing here to fix."
                )
            if result.fix is None:
                tried = result.candidates_tried
                return HealOutcome(
                    f"No validated fix found for `{incident.summary[:200]}` "
                    f"(reproduced: {'yes' if result.reproduced else 'no'}; {tried} candidate "
                    f"fix{'es' if tried != 1 else ''} tried in {result.seconds:.0f}s, none made "
                    "the tests pass without breaking others).",
                    fingerprint=result.fingerprint,
                )
            return await self._propose(
                api, target, incident, config, result.fix, checkout, runner, secrets, cause
            )

    async def _propose(
        self,
        api: RepositoryApi,
        target: HealTarget,
        incident: Incident,
        config: RepoConfig,
        fix: Fix,
        checkout: Checkout,
        runner: CommandRunner,
        secrets: list[str],
        cause: Event,
    ) -> HealOutcome:
        ignored = [
            path
            for path in fix.files
            if any(fnmatch.fnmatch(path, pattern) for pattern in config.ignored_paths)
        ]
        if ignored:
            return HealOutcome(
                f"A fix was found, but it changes {', '.join(f'`{p}`' for p in ignored)}, "
                "which `ignored_paths` in `.github/kintsugi.yml` keeps Kintsugi out of.",
                fingerprint=fix.fingerprint,
            )
        branch = branch_name(fix.fingerprint)
        existing = await api.open_pull(branch)
        if existing is not None:
            await api.comment(
                existing.number,
                scrub(
                    f"The same failure (fingerprint `{fix.fingerprint}`) happened again: "
                    f"{target.trigger_url}. This pull request still fixes it.",
                    secrets,
                ),
            )
            await self._record(EventType.HEALING_PR_UPDATED, target, fix, existing.html_url, cause)
            return HealOutcome(
                f"This failure already has a fix pull request: {existing.html_url}",
                existing.html_url,
                fix.fingerprint,
            )
        refusal = await self._over_limits(api, target, config)
        if refusal is not None:
            return HealOutcome(refusal, fingerprint=fix.fingerprint)

        summary = incident.summary
        sha = await checkout.commit_on_branch(
            branch,
            {**fix.changes, **fix.new_tests},
            scrub(commit_message(fix, summary, target.trigger_url), secrets),
        )
        await checkout.push(branch)
        verification = await self._verify(api, sha, checkout, runner, config, fix)
        pull = await api.create_pull(
            title=scrub(pull_title(fix, summary), secrets),
            body=scrub(pull_body(fix, target.trigger_url, verification=verification), secrets),
            head=branch,
            base=target.base_branch,
            draft=fix.confidence < (config.draft_below_confidence or self.draft_below),
        )
        await api.add_labels(pull.number, list(config.labels))
        await self._record(EventType.HEALING_PR_OPENED, target, fix, pull.html_url, cause)
        log.info(
            "fix pull request opened",
            extra={"repository": target.repository, "pull": pull.number, "case_id": fix.case_id},
        )
        return HealOutcome(
            f"Opened {pull.html_url} with a validated fix (confidence {fix.confidence:.2f}).",
            pull.html_url,
            fix.fingerprint,
        )

    async def _reproduce(
        self, checkout: Checkout, runner: CommandRunner, config: RepoConfig
    ) -> tuple[Incident, SuiteReport]:
        """Run the tests on a copy without git metadata; the failures become the incident."""
        with tempfile.TemporaryDirectory(prefix="kintsugi-ci-", dir=self.scratch_root) as tmp:
            copy = Path(tmp) / "repo"
            shutil.copytree(checkout.root, copy, ignore=shutil.ignore_patterns(".git"))
            report = await run_suite(
                runner, copy, config.test_command, timeout_seconds=self.budget.run_timeout
            )
        return incident_from_suite(report), report

    async def _verify(
        self,
        api: RepositoryApi,
        sha: str,
        checkout: Checkout,
        runner: CommandRunner,
        config: RepoConfig,
        fix: Fix,
    ) -> str:
        """Run the tests once more on the pushed commit, shown as a check run on it."""
        check = await api.create_check_run(CHECK_NAME, sha)
        await api.update_check_run(check, status="in_progress")
        with tempfile.TemporaryDirectory(prefix="kintsugi-verify-", dir=self.scratch_root) as tmp:
            copy = Path(tmp) / "repo"
            shutil.copytree(checkout.root, copy, ignore=shutil.ignore_patterns(".git"))
            report = await run_suite(
                runner, copy, config.test_command, timeout_seconds=self.budget.run_timeout
            )
        counts = report.counts()
        passed = report.readable and not report.failed and report.total > 0
        verdict = f"{counts['passed']} passed, {counts['failed']} failed"
        await api.update_check_run(
            check,
            status="completed",
            conclusion="success" if passed else "failure",
            title=f"Tests on the fix: {verdict}",
            summary=(
                f"Kintsugi ran `{config.test_command}` on this commit in its sandbox: "
                f"{verdict}.\n\n"
                f"Fix `{fix.id}` ({fix.strategy}/{fix.operator}), confidence {fix.confidence:.2f}."
            ),
        )
        return verdict

    async def _over_limits(
        self, api: RepositoryApi, target: HealTarget, config: RepoConfig
    ) -> str | None:
        open_fixes = [ref for head, ref in await api.open_pulls() if head.startswith("kintsugi/")]
        if len(open_fixes) >= config.max_open_prs:
            return (
                f"A fix was found, but {len(open_fixes)} Kintsugi pull requests are already open "
                f"(max_open_prs: {config.max_open_prs}). Merge or close some, then `/heal` again."
            )
        since = datetime.now(UTC) - timedelta(hours=1)
        opened = await self.store.read_all(types=[EventType.HEALING_PR_OPENED], limit=10_000)
        recent = [
            e
            for e in opened
            if e.payload.get("repository") == target.repository and e.occurred_at >= since
        ]
        if len(recent) >= config.prs_per_hour:
            return (
                f"A fix was found, but {len(recent)} pull requests were opened here in the last "
                f"hour (prs_per_hour: {config.prs_per_hour}). `/heal` again later."
            )
        return None

    async def _record(
        self, kind: EventType, target: HealTarget, fix: Fix, url: str, cause: Event
    ) -> None:
        event = cause.caused(
            kind,
            SOURCE,
            {
                "repository": target.repository,
                "case_id": fix.case_id,
                "fingerprint": fix.fingerprint,
                "fix_id": fix.id,
                "strategy": fix.strategy,
                "operator": fix.operator,
                "confidence": fix.confidence,
                "pull_url": url,
                "trigger_url": target.trigger_url,
            },
        )
        await self.store.append(f"healing-{fix.fingerprint}", event)
