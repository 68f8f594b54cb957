"""Improvement pull requests for an installed repository (`/evolve`): codemods validated by the
repository's own suite in the sandbox, each pushed as `kintsugi/improve-<codemod>` and proposed
once, within the repository's allowance of open improvements."""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import logging
import shutil
import tempfile
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from app.environments import EnvironmentUnavailable
from app.environments.cache import EnvironmentCache
from app.environments.repository_tests import RepositoryTests, checkout_tests
from app.events.model import Event, EventType
from app.events.store import EventStore
from app.evolution.codemods import Codemod, catalogue
from app.evolution.improvements import Improvement, propose_improvements, rewrite
from app.evolution.speedups import speedups
from app.github.api import PullRequestRef, RepositoryApi
from app.github.client import GitHubApp
from app.github.config import RepoConfig
from app.github.errors import GitHubPermissionError
from app.github.git import Checkout
from app.github.improvement_text import (
    codemod_explanation,
    improvement_body,
    opened_text,
    suite_counts,
)
from app.github.missing_permission import FixStep, MissingPermission
from app.github.pull_text import scrub
from app.healing.blockers import Blocker
from app.healing.runner import CommandRunner, SandboxCommandRunner
from app.healing.suite import run_suite
from app.workspace import copy_repository

log = logging.getLogger(__name__)

IMPROVE_PREFIX = "kintsugi/improve-"
SOURCE = "kintsugi.github"
# Recorded per opened pull request (the outcome analysis reads `pull_url` and `repository`).
IMPROVEMENT_PR_OPENED = EventType.EVOLUTION_IMPROVEMENT_PR_OPENED

Propose = Callable[..., Awaitable[list[Improvement]]]


def improvement_branch(codemod: str) -> str:
    return IMPROVE_PREFIX + codemod.replace("_", "-")


@dataclass(frozen=True)
class ImprovementTarget:
    """Which repository to improve and what asked for it."""

    installation_id: int
    repository: str
    clone_url: str
    base_branch: str
    trigger_url: str


@dataclass(frozen=True)
class ImprovementOutcome:
    """What to tell the person who asked, and the pull requests opened (possibly none)."""

    message: str
    pull_urls: tuple[str, ...] = ()


class ImprovementPullRequests:
    """Proposes validated modernisations of installed repositories as pull requests."""

    def __init__(
        self,
        github: GitHubApp,
        store: EventStore,
        *,
        runner: CommandRunner | None = None,
        secrets: Sequence[str] = (),
        scratch_root: Path | None = None,
        codemods: Sequence[Codemod] | None = None,
        suite_seconds: float = 300.0,
        propose: Propose = propose_improvements,
        environments: EnvironmentCache | None,
    ) -> None:
        self.github = github
        self.store = store
        self.runner = runner
        self.secrets = list(secrets)
        self.scratch_root = scratch_root
        self.codemods = list(codemods) if codemods is not None else [*catalogue(), *speedups()]
        self.suite_seconds = suite_seconds
        self.propose = propose
        # Each repository's environment, as healing uses it; None: Kintsugi's interpreter.
        self.environments = environments

    async def improve(
        self, api: RepositoryApi, target: ImprovementTarget, config: RepoConfig, cause: Event
    ) -> ImprovementOutcome:
        open_now = {
            head: ref for head, ref in await api.open_pulls() if head.startswith(IMPROVE_PREFIX)
        }
        room = config.max_open_improvements - len(open_now)
        if room <= 0:
            links = "".join(f"\n- {ref.html_url}" for ref in open_now.values())
            return ImprovementOutcome(
                f"{len(open_now)} improvement pull request(s) already open, the most this "
                f"repository allows (`max_open_improvements: {config.max_open_improvements}`); "
                f"nothing new proposed.{links}"
            )
        candidates = []
        declined = []
        for codemod in self.codemods:
            branch = improvement_branch(codemod.name)
            if branch in open_now:
                continue
            if any(p.state != "open" for p in await api.pulls_from(branch)):
                declined.append(codemod.name)  # closed before: a maintainer's answer stands
                continue
            candidates.append(codemod)
        if not candidates:
            return ImprovementOutcome(self._nothing_left(open_now, declined))
        token = await self.github.installation_token(target.installation_id)
        secrets = [*self.secrets, token.get_secret_value()]
        runner = self.runner or SandboxCommandRunner()
        with tempfile.TemporaryDirectory(prefix="kintsugi-evolve-", dir=self.scratch_root) as tmp:
            checkout = await Checkout.clone(
                target.clone_url, token, Path(tmp) / "repo", branch=target.base_branch
            )
            changing = [c for c in candidates if rewrite(checkout.root, c)]
            if not changing:
                return ImprovementOutcome(
                    f"Nothing to modernise at {checkout.head_sha[:12]}: none of the codemods "
                    f"({', '.join(f'`{c.name}`' for c in candidates)}) changes a module."
                    + self._also(open_now, declined)
                )
            try:
                async with self._tests(checkout, config) as tests:
                    refused: list[str] = []
                    improvements = await self.propose(
                        checkout.root,
                        runner=runner,
                        tests=tests,
                        codemods=changing,
                        max_proposals=room,
                        timeout_seconds=self.suite_seconds,
                        benchmark_command=config.benchmark_command,
                        declined=refused,
                    )
                    not_proposed = "".join(f"\n- not proposed: {reason}" for reason in refused)
                    if not improvements:
                        why = await self._why_none(checkout, runner, tests, refused)
                        return ImprovementOutcome(
                            why + not_proposed + self._also(open_now, declined)
                        )
            except EnvironmentUnavailable as error:
                reason = scrub(Blocker.environment(error).reason, secrets)
                return ImprovementOutcome(
                    f"No improvement proposed: {reason}." + self._also(open_now, declined)
                )
            outcome = await self._open(api, target, config, cause, checkout, improvements, secrets)
            also = not_proposed + self._also(open_now, declined)
            return ImprovementOutcome(outcome.message + also, outcome.pull_urls)

    def _tests(
        self, checkout: Checkout, config: RepoConfig
    ) -> contextlib.AbstractAsyncContextManager[RepositoryTests]:
        return checkout_tests(
            self.environments,
            checkout.root,
            config=config.environment_overrides(),
            own_interpreter_command=config.test_command,
        )

    async def _open(
        self,
        api: RepositoryApi,
        target: ImprovementTarget,
        config: RepoConfig,
        cause: Event,
        checkout: Checkout,
        improvements: list[Improvement],
        secrets: list[str],
    ) -> ImprovementOutcome:
        base = checkout.head_sha
        opened: list[PullRequestRef] = []
        skipped: list[str] = []
        for improvement in improvements:
            ignored = [
                path
                for path in improvement.files
                if any(fnmatch.fnmatch(path, pattern) for pattern in config.ignored_paths)
            ]
            if ignored:
                skipped.append(f"`{improvement.codemod}` would change `ignored_paths`")
                continue
            branch = improvement_branch(improvement.codemod)
            step: FixStep = "push"
            try:
                # Each improvement stands alone on the base branch's head, not on the previous one.
                await asyncio.to_thread(checkout.repo.git.checkout, "--detach", base)
                message = (
                    f"{improvement.title}\n\n{improvement.description}\n\n"
                    f"Codemod `{improvement.codemod}`, requested in {target.trigger_url}."
                )
                await checkout.commit_on_branch(
                    branch, improvement.changes, scrub(message, secrets)
                )
                await checkout.push(branch)
                step = "pull_request"
                what = codemod_explanation(improvement.codemod, self.codemods)
                pull = await api.create_pull(
                    title=scrub(f"Kintsugi: {improvement.title}", secrets),
                    body=scrub(improvement_body(improvement, what, target.trigger_url), secrets),
                    head=branch,
                    base=target.base_branch,
                    draft=False,
                )
                opened.append(pull)
                await self._record(target, improvement, pull.html_url, cause)
                step = "labels"
                await api.add_labels(pull.number, list(config.labels))
            except GitHubPermissionError as error:
                missing = MissingPermission(step, str(error))
                done = opened_text(opened) + "\n\n" if opened else ""
                return ImprovementOutcome(
                    done + missing.how_to_grant().replace("/heal", "/evolve"),
                    tuple(p.html_url for p in opened),
                )
            log.info(
                "improvement pull request opened",
                extra={
                    "repository": target.repository,
                    "pull": pull.number,
                    "codemod": improvement.codemod,
                },
            )
        note = "".join(f"\n- skipped: {reason}" for reason in skipped)
        if not opened:
            return ImprovementOutcome("No improvement pull request opened." + note)
        return ImprovementOutcome(opened_text(opened) + note, tuple(p.html_url for p in opened))

    async def _why_none(
        self, checkout: Checkout, runner: CommandRunner, tests: RepositoryTests, refused: list[str]
    ) -> str:
        if refused:
            return "No improvement proposed:"  # the reasons follow, one a line
        with tempfile.TemporaryDirectory(prefix="kintsugi-suite-", dir=self.scratch_root) as tmp:
            copy = Path(tmp) / "repo"
            await asyncio.to_thread(_copy_tree, checkout.root, copy)
            report = await run_suite(
                runner,
                copy,
                tests.command,
                timeout_seconds=self.suite_seconds,
                environment=tests.environment,
            )
        if not report.readable or report.total == 0 or report.failed:
            return (
                f"No improvement proposed: the test suite (`{tests.command}`) is not green "
                f"at {checkout.head_sha[:12]} ({suite_counts(report.counts())}), so there is no "
                "evidence that a change is harmless. Fix the suite, then run `/evolve` again."
            )
        return (
            "No improvement proposed: every candidate rewrite made a test fail in the sandbox, "
            "so none is safe here."
        )

    def _nothing_left(self, open_now: dict[str, PullRequestRef], declined: list[str]) -> str:
        return "Every improvement Kintsugi knows is already proposed or was declined." + self._also(
            open_now, declined
        )

    @staticmethod
    def _also(open_now: dict[str, PullRequestRef], declined: list[str]) -> str:
        text = "".join(f"\n- already open: {ref.html_url}" for ref in open_now.values())
        return text + "".join(f"\n- declined earlier: `{name}`" for name in declined)

    async def _record(
        self, target: ImprovementTarget, improvement: Improvement, url: str, cause: Event
    ) -> None:
        event = cause.caused(
            IMPROVEMENT_PR_OPENED,
            SOURCE,
            {
                "repository": target.repository,
                "codemod": improvement.codemod,
                "files": list(improvement.files),
                "tests_before": improvement.tests_before,
                "tests_after": improvement.tests_after,
                **({"benchmark": improvement.benchmark.to_dict()} if improvement.benchmark else {}),
                "pull_url": url,
                "trigger_url": target.trigger_url,
            },
        )
        await self.store.append(f"improvements/{target.repository}", event)


def _copy_tree(source: Path, target: Path) -> None:
    copy_repository(source, target, ignore=shutil.ignore_patterns(".git", "__pycache__"))
