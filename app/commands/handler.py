"""Runs one slash command from a stored comment event: acknowledge, check who asked, act,
reply — once per event, however often the job runs."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Any

from githubkit import GitHub

from app.commands import replies
from app.commands.describe import NO_DESCRIPTION, DescribedBug, bug_description
from app.commands.evolve_replay import RepositoryReplay
from app.commands.heal_input import heal_input
from app.commands.parse import (
    Command,
    CommandRequest,
    parse_command,
    request_from_event,
)
from app.commands.permissions import may_run_commands
from app.commands.run import run_function
from app.data.cache import InProcessCache
from app.data.ports import Cache
from app.events.model import Event, EventType
from app.events.store import DuplicateEventError, EventStore
from app.evolution.history import load_history
from app.github.api import GitHubRepository, RepoRef, RepositoryApi
from app.github.client import GitHubApp
from app.github.config import (
    CONFIG_PATH,
    LoadedConfig,
    ReadConfigFile,
    RepoConfig,
    load_repo_config,
)
from app.github.errors import GitHubNotFound
from app.github.fix_pr import FixPullRequests, HealTarget
from app.github.improvement_prs import ImprovementPullRequests, ImprovementTarget
from app.github.sentry_source import SentryBindings
from functions import ServerlessRuntime

log = logging.getLogger(__name__)


class CommandHandler:
    """The `github.issue_comment.created` handler for slash commands."""

    def __init__(
        self,
        github: GitHubApp,
        store: EventStore,
        fixes: FixPullRequests,
        *,
        cache: Cache | None = None,
        llm_configured: bool = False,
        runtime_factory: Callable[[], ServerlessRuntime] = ServerlessRuntime,
        improvements: ImprovementPullRequests | None = None,
        replays: RepositoryReplay | None = None,
        sentry_bindings: SentryBindings | None = None,
    ) -> None:
        self.github = github
        self.sentry_bindings = sentry_bindings
        self.store = store
        self.fixes = fixes
        # `/evolve` validates in the same sandbox, with the same secrets kept out, as healing.
        self.improvements = improvements or ImprovementPullRequests(
            github,
            store,
            runner=fixes.runner,
            secrets=fixes.secrets,
            scratch_root=fixes.scratch_root,
            environments=fixes.environments,
        )
        # `/evolve` also replays the repository's recorded cases, in the same sandbox.
        self.replays = replays or RepositoryReplay(
            github,
            store,
            runner=fixes.runner,
            scratch_root=fixes.scratch_root,
            environments=fixes.environments,
        )
        self.cache = cache or InProcessCache()
        self.llm_configured = llm_configured
        self.runtime_factory = runtime_factory

    async def __call__(self, event: Event) -> None:
        request = request_from_event(event)
        if request is None:
            return
        command = parse_command(request.comment_body)
        if command is None:
            return
        key = f"command:{event.id}"
        if await self.store.find_by_idempotency_key(key) is not None:
            return  # handled by an earlier run of this job
        extra = {"event_id": str(event.id), "command": command.name, "repo": request.repository}
        client = await self.github.installation_client(request.installation_id)
        api = GitHubRepository(client, RepoRef.parse(request.repository))
        await api.react(request.comment_id, "eyes")
        if not await may_run_commands(api, request.author, self.cache):
            log.info("command refused: no write access", extra={**extra, "author": request.author})
            reply = replies.NOT_ALLOWED.format(author=request.author, command=f"/{command.name}")
            await self._finish(event, key, request, command, api, reply, outcome="refused")
            return
        config = await load_repo_config(api.repo, _config_reader(client))
        log.info("command received", extra=extra)
        reply, outcome, pull_url = await self._dispatch(event, request, command, api, config)
        await self._finish(event, key, request, command, api, reply, outcome, pull_url)

    async def _dispatch(
        self,
        event: Event,
        request: CommandRequest,
        command: Command,
        api: RepositoryApi,
        config: LoadedConfig,
    ) -> tuple[str, str, str | None]:
        problem = config.problem_message()
        note = f"\n\n{problem}" if problem else ""
        if command.name == "help":
            return replies.HELP + note, "done", None
        if command.name == "status":
            return await self._status(api, config), "done", None
        if not config.config.sources.commands:
            return replies.COMMANDS_OFF, "disabled", None
        if command.name == "heal":
            return await self._heal(event, request, api, config, note)
        if command.name == "fix":
            if self.llm_configured:
                return await self._fix(event, request, command, api, config, note)
            return replies.NO_LLM, "unavailable", None
        if command.name == "evolve":
            return await self._evolve(request, api, config, event, note)
        if command.name == "run":
            reply = await run_function(
                api, request, command.args, self.runtime_factory, self.github
            )
            return reply + note, "done", None
        return replies.HELP, "done", None

    async def _heal(
        self,
        event: Event,
        request: CommandRequest,
        api: RepositoryApi,
        config: LoadedConfig,
        note: str,
    ) -> tuple[str, str, str | None]:
        found = await heal_input(
            request, api, config.config, self.store, self.cache, self.sentry_bindings
        )
        if found.incident is None:
            return found.problem + note, found.outcome, None
        incident = found.incident
        target = _heal_target(request)
        outcome = await self.fixes.heal(api, target, incident, config.config, event)
        return (
            outcome.message + note,
            "pull_request" if outcome.pull_url else "no_fix",
            outcome.pull_url,
        )

    async def _fix(
        self,
        event: Event,
        request: CommandRequest,
        command: Command,
        api: RepositoryApi,
        config: LoadedConfig,
        note: str,
    ) -> tuple[str, str, str | None]:
        """A bug described in words: healed once a test written from the description fails."""
        llm_for_case = self.fixes.llm_for_case
        if llm_for_case is None:  # an LLM model is set, but healing was given no provider
            return replies.FIX_UNSUPPORTED, "unavailable", None
        if not command.args.strip():
            return NO_DESCRIPTION + note, "no_incident", None
        described = DescribedBug(
            await bug_description(request, command.args, api, self.cache),
            llm_for_case,
            run_seconds=self.fixes.budget.run_timeout,
            trigger_url=request.issue_url,
            scratch_root=self.fixes.scratch_root,
        )
        target = _heal_target(request)
        outcome = await self.fixes.heal(
            api, target, None, config.config, event, reproduce_first=described
        )
        return (
            outcome.message + note,
            "pull_request" if outcome.pull_url else "no_fix",
            outcome.pull_url,
        )

    async def _evolve(
        self,
        request: CommandRequest,
        api: RepositoryApi,
        config: LoadedConfig,
        event: Event,
        note: str,
    ) -> tuple[str, str, str | None]:
        """Improvement pull requests for this repository, then a replay of its recorded cases
        by the active strategy variant and a challenger. The corpus replay takes too long for
        a webhook job: it runs on its schedule."""
        target = ImprovementTarget(
            installation_id=request.installation_id,
            repository=request.repository,
            clone_url=request.clone_url,
            base_branch=request.default_branch,
            trigger_url=request.issue_url,
        )
        outcome = await self.improvements.improve(api, target, config.config, event)
        replayed = await self.replays.replay(
            request.installation_id, request.repository, request.clone_url
        )
        strategies = await strategy_summary(self.store)
        reply = f"{outcome.message}\n\n{replayed}\n\n{strategies}{note}"
        first = outcome.pull_urls[0] if outcome.pull_urls else None
        return reply, "pull_request" if first else "no_improvement", first

    async def _status(self, api: RepositoryApi, config: LoadedConfig) -> str:
        settings = config.config
        sources = ", ".join(
            f"{name} {'on' if on else 'off'}" for name, on in settings.sources.model_dump().items()
        )
        pulls = [ref for head, ref in await api.open_pulls() if head.startswith("kintsugi/")]
        opened = await self.store.read_all(types=[EventType.HEALING_PR_OPENED], limit=10_000)
        mine = [e for e in opened if e.payload.get("repository") == api.repo.full_name]
        lines = [
            f"**Kintsugi status for {api.repo.full_name}**",
            "",
            f"- config: `{config.source}`" if config.exists else "- config: none (defaults)",
            f"- sources: {sources}",
            _test_command_line(settings),
            f"- open fix pull requests: {len(pulls)} of at most {settings.max_open_prs}"
            + "".join(f"\n  - {ref.html_url}" for ref in pulls),
            f"- fix pull requests opened so far: {len(mine)}",
            f"- functions: {', '.join(sorted(config.functions.functions)) or 'none declared'}",
        ]
        problem = config.problem_message()
        if problem:
            lines += ["", problem]
        return "\n".join(lines)

    async def _finish(
        self,
        event: Event,
        key: str,
        request: CommandRequest,
        command: Command,
        api: RepositoryApi,
        reply: str,
        outcome: str,
        pull_url: str | None = None,
    ) -> None:
        comment = await api.comment(request.issue_number, reply)
        record = event.caused(
            EventType.COMMAND_HANDLED,
            "kintsugi.commands",
            {
                "repository": request.repository,
                "issue": request.issue_number,
                "command": command.name,
                "author": request.author,
                "outcome": outcome,
                "reply_url": comment.html_url,
                "pull_url": pull_url,
            },
        )
        record = record.model_copy(update={"idempotency_key": key})
        with contextlib.suppress(DuplicateEventError):  # a parallel run got there first
            await self.store.append(f"commands/{request.repository}", record)


def _config_reader(client: GitHub[Any]) -> ReadConfigFile:
    """Reads `.github/kintsugi.yml` of any repository the installation can see."""

    async def read(repo: RepoRef) -> str | None:
        try:
            return await GitHubRepository(client, repo).file_text(CONFIG_PATH)
        except GitHubNotFound:
            return None

    return read


def _test_command_line(settings: RepoConfig) -> str:
    command = settings.environment_overrides().test_command
    if command:
        return f"- test command: `{command}` (from the config)"
    return "- test command: found from the repository's files, as `kintsugi env` shows"


async def strategy_summary(store: EventStore) -> str:
    """One line on the healing strategies' evolution, read from the event log."""
    history = await load_history(store)
    return (
        f"Healing strategies: variant `{history.active.id}` is active ({history.promotions} "
        f"promotion(s), {history.rollbacks} rollback(s), {history.replays} replay(s) so far); "
        "they evolve on Kintsugi's schedule from the outcomes of fix pull requests."
    )


def _heal_target(request: CommandRequest) -> HealTarget:
    """Where a command's fix goes: the repository's default branch, linked to the issue."""
    return HealTarget(
        installation_id=request.installation_id,
        repository=request.repository,
        clone_url=request.clone_url,
        base_branch=request.default_branch,
        trigger_url=request.issue_url,
    )
