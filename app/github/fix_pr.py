"""From an incident in an installed repository to a fix pull request: clone with the
installation token, heal, push `kintsugi/fix-<fingerprint>`, verify with a check run, open the
PR — one per fingerprint, within the repository's limits, every step recorded as an event."""

from __future__ import annotations

import contextlib
import fnmatch
import logging
import tempfile
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from app.data.fix_memory_log import FixMemoryFromLog
from app.environments import EnvironmentUnavailable
from app.environments.cache import EnvironmentCache
from app.environments.repository_tests import RepositoryTests, checkout_tests
from app.events.model import Event, EventType
from app.events.store import DuplicateEventError, EventStore
from app.evolution.history import active_variant
from app.evolution.wiring import healer_for
from app.github.api import PullRequestRef, RepositoryApi
from app.github.client import GitHubApp
from app.github.config import RepoConfig
from app.github.errors import GitHubPermissionError
from app.github.fix_limits import limit_refusal
from app.github.fix_suite import reproduce, verify
from app.github.git import Checkout
from app.github.missing_permission import FixStep, MissingPermission, report_missing
from app.github.pull_text import branch_name, commit_message, pull_body, pull_title, scrub
from app.healing import Budget, Fix, Incident
from app.healing.blockers import Blocker
from app.healing.candidate_search import why_not_fixed
from app.healing.incidents import IncidentOutsideRepository, UnreadableIncident
from app.healing.runner import CommandRunner, SandboxCommandRunner
from app.healing.suite import SuiteReport

log = logging.getLogger(__name__)

SOURCE = "kintsugi.github"
CHECK_NAME = "Kintsugi fix verification"
# On the commit healing started from, when its tests could not run (never a CI failure itself).
CASE_CHECK_NAME = "Kintsugi healing"


# How the search ended, as a reply says it.
_STOPPED = {
    "budget": "the search stopped when its time budget ran out",
    "exhausted": "every widening ring of the search was tried",
}


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


@dataclass(frozen=True)
class Reproduction:
    """A failure shown on the checkout before healing: the incident, the suite run that showed
    it, the test files written for it (committed with the fix) and what the PR says of them."""

    incident: Incident
    baseline: SuiteReport
    new_tests: dict[str, str] = field(default_factory=dict)
    note: str = ""


# Reproduces a failure on a fresh checkout, in the repository's tests' environment; a string
# says why it could not be.
Reproduce = Callable[[Checkout, CommandRunner, RepositoryTests], Awaitable[Reproduction | str]]


@dataclass(frozen=True)
class _CaseRun:
    """One heal request on its fresh checkout: what every step of it reports to."""

    api: RepositoryApi
    target: HealTarget
    config: RepoConfig
    cause: Event
    checkout: Checkout
    secrets: list[str]

    def where(self) -> dict[str, Any]:
        return {
            "repository": self.target.repository,
            "commit": self.checkout.head_sha,
            "installation_id": self.target.installation_id,
        }


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
        fix_memory: FixMemoryFromLog | None = None,
        environments: EnvironmentCache | None,
    ) -> None:
        # A fresh LLM provider per case, so the per-case cost budget starts from zero each time.
        self.llm_for_case = llm_for_case
        # What maintainers did with earlier fixes: ranks candidates and shows the LLM examples.
        self.fix_memory = fix_memory
        self.github = github
        self.store = store
        self.runner = runner
        self.budget = budget or Budget()
        self.draft_below = draft_below
        self.secrets = list(secrets)
        self.scratch_root = scratch_root
        # Builds or reuses each repository's environment; None runs the tests on Kintsugi's
        # own interpreter, for callers that have none by design (tests of these flows).
        self.environments = environments

    async def heal(
        self,
        api: RepositoryApi,
        target: HealTarget,
        incident: Incident | None,
        config: RepoConfig,
        cause: Event,
        *,
        reproduce_first: Reproduce | None = None,
    ) -> HealOutcome:
        """Heal `incident`, or, when it is None, what `reproduce_first` shows failing or else
        whatever the repository's tests show failing at the base branch's head (a failed CI
        run, reproduced in the sandbox). Every run is in the repository's own environment;
        when it cannot be built, or the tests cannot run on the unchanged code, the outcome,
        a check run on the commit and the event log say why."""
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
            run = _CaseRun(api, target, config, cause, checkout, secrets)
            try:
                async with self._tests(checkout, config) as tests:
                    return await self._heal_in(run, incident, tests, reproduce_first)
            except EnvironmentUnavailable as error:
                return await self._blocked(run, Blocker.environment(error))

    def _tests(
        self, checkout: Checkout, config: RepoConfig
    ) -> contextlib.AbstractAsyncContextManager[RepositoryTests]:
        return checkout_tests(
            self.environments,
            checkout.root,
            config=config.environment_overrides(),
            own_interpreter_command=config.test_command,
        )

    async def _heal_in(
        self,
        run: _CaseRun,
        incident: Incident | None,
        tests: RepositoryTests,
        reproduce_first: Reproduce | None,
    ) -> HealOutcome:
        target, checkout = run.target, run.checkout
        runner = self.runner or SandboxCommandRunner()
        baseline: SuiteReport | None = None
        reproduction: Reproduction | None = None
        if incident is None and reproduce_first is not None:
            shown = await reproduce_first(checkout, runner, tests)
            if isinstance(shown, str):
                return HealOutcome(shown)
            reproduction, incident, baseline = shown, shown.incident, shown.baseline
        if incident is None:
            try:
                reproduced = await reproduce(
                    checkout,
                    runner,
                    tests,
                    run_seconds=self.budget.run_timeout,
                    scratch_root=self.scratch_root,
                    hangs=self.budget.hangs,
                )
            except UnreadableIncident as error:
                return HealOutcome(
                    f"The failure did not reproduce at {checkout.head_sha[:12]} in "
                    f"Kintsugi's sandbox ({error}), so there is nothing to heal."
                )
            if isinstance(reproduced, Blocker):
                return await self._blocked(run, reproduced)
            incident, baseline = reproduced

        async def publish(event: Event) -> None:
            # The installation too, so a nightly replay can clone the case again through it.
            stamped = run.cause.caused(event.type, event.source, {**event.payload, **run.where()})
            await self.store.append(event.stream, stamped)

        # Live healing uses whichever strategy variant evolution has promoted (the healer's
        # defaults until it has), so promotions and rollbacks take effect here.
        healer = healer_for(
            await active_variant(self.store),
            runner=runner,
            llm_provider=self.llm_for_case() if self.llm_for_case else None,
            publish=publish,
            budget=self.budget,
            fix_memory=(
                self.fix_memory.for_repository(target.repository)
                if self.fix_memory is not None
                else None
            ),
        )
        try:
            result = await healer.heal(checkout.root, incident, tests=tests, baseline=baseline)
        except IncidentOutsideRepository:
            return HealOutcome(
                "None of the traceback's files is in this repository at "
                f"`{target.base_branch}`, so there is nothing here to fix."
            )
        if result.blocked is not None:
            return await self._blocked(run, result.blocked, result.fingerprint, recorded=True)
        if result.fix is None:
            tried = result.candidates_tried
            stopped = _STOPPED.get(result.stopped, result.stopped)
            return HealOutcome(
                f"No validated fix found for `{incident.summary[:200]}` "
                f"(reproduced: {'yes' if result.reproduced else 'no'}; {tried} candidate "
                f"fix{'es' if tried != 1 else ''} tried in {result.seconds:.0f}s, none made "
                f"the tests pass without breaking others; {stopped}). Why: "
                f"{scrub(why_not_fixed(result), run.secrets)}.",
                fingerprint=result.fingerprint,
            )
        fix = result.fix
        if reproduction is not None:
            fix.new_tests.update(reproduction.new_tests)
            fix = replace(fix, root_cause=f"{reproduction.note}\n\n{fix.root_cause}".strip())
        return await self._propose(
            run.api,
            target,
            incident,
            run.config,
            fix,
            checkout,
            runner,
            tests,
            run.secrets,
            run.cause,
        )

    async def _blocked(
        self,
        run: _CaseRun,
        blocker: Blocker,
        fingerprint: str | None = None,
        *,
        recorded: bool = False,
    ) -> HealOutcome:
        """Say why nothing could be tried: in a check run on the commit, in the event log
        (unless the case's own `fix_not_found` already did) and in the outcome."""
        reason = scrub(blocker.reason, run.secrets)
        output = scrub(blocker.output, run.secrets)
        if not recorded:
            # Once per request and repository, however often its job runs.
            key = f"not-started:{run.cause.id}:{run.target.repository.lower()}"
            event = run.cause.caused(
                EventType.HEALING_NOT_STARTED,
                SOURCE,
                {**run.where(), "reason": reason, "output": output},
            ).model_copy(update={"idempotency_key": key})
            with contextlib.suppress(DuplicateEventError):
                await self.store.append(f"healing-not-started/{run.target.repository}", event)
        shown = f"\n\n```\n{output.strip()[-1500:]}\n```" if output.strip() else ""
        try:
            check = await run.api.create_check_run(CASE_CHECK_NAME, run.checkout.head_sha)
            await run.api.update_check_run(
                check,
                status="completed",
                conclusion="neutral",
                title="Kintsugi could not test this commit",
                summary=f"Nothing was healed: {reason}.{shown}",
            )
        except GitHubPermissionError as error:
            log.info("no check run for a blocked case", extra={"reason": str(error)})
        log.info("healing blocked", extra={"repository": run.target.repository, "reason": reason})
        return HealOutcome(
            f"Kintsugi could not heal this: {reason}.{shown}", fingerprint=fingerprint
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
        tests: RepositoryTests,
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
        refusal = await limit_refusal(api, self.store, target.repository, config)
        if refusal is not None:
            return HealOutcome(refusal, fingerprint=fix.fingerprint)

        step: FixStep = "push"
        check: int | None = None
        pull: PullRequestRef | None = None
        try:
            sha = await checkout.commit_on_branch(
                branch,
                {**fix.changes, **fix.new_tests},
                scrub(commit_message(fix, incident.summary, target.trigger_url), secrets),
            )
            await checkout.push(branch)
            step = "check_run"
            check = await api.create_check_run(CHECK_NAME, sha)
            await api.update_check_run(check, status="in_progress")
            verification = await verify(
                checkout,
                runner,
                tests,
                fix,
                run_seconds=self.budget.run_timeout,
                scratch_root=self.scratch_root,
                hangs=self.budget.hangs,
            )
            step = "pull_request"
            pull = await api.create_pull(
                title=scrub(pull_title(fix, incident.summary), secrets),
                body=scrub(
                    pull_body(fix, target.trigger_url, verification=verification.verdict), secrets
                ),
                head=branch,
                base=target.base_branch,
                draft=fix.confidence < (config.draft_below_confidence or self.draft_below),
            )
            await self._record(EventType.HEALING_PR_OPENED, target, fix, pull.html_url, cause)
            step = "labels"
            await api.add_labels(pull.number, list(config.labels))
            step = "check_run"
            await api.update_check_run(
                check,
                status="completed",
                conclusion="success" if verification.passed else "failure",
                title=verification.title,
                summary=verification.summary,
            )
        except GitHubPermissionError as error:
            missing = MissingPermission(step, str(error))
            # The check run itself may be what is refused; otherwise it says what is missing.
            await report_missing(
                api,
                missing,
                None if step == "check_run" else check,
                repository=target.repository,
                trigger_url=target.trigger_url,
            )
            done = (
                f"Opened {pull.html_url} with a validated fix, but GitHub refused the rest."
                if pull is not None
                else f"A validated fix was found and is on `{branch}`, but no pull request "
                "could be opened."
            )
            return HealOutcome(
                f"{done}\n\n{missing.how_to_grant()}",
                pull.html_url if pull is not None else None,
                fix.fingerprint,
            )
        log.info(
            "fix pull request opened",
            extra={"repository": target.repository, "pull": pull.number, "case_id": fix.case_id},
        )
        return HealOutcome(
            f"Opened {pull.html_url} with a validated fix (confidence {fix.confidence:.2f}).",
            pull.html_url,
            fix.fingerprint,
        )

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
