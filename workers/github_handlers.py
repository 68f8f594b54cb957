"""The GitHub App's handlers (slash commands, fix pull requests), built from settings and
registered on the router when an App is configured."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from app.commands.evolve_replay import RepositoryReplay
from app.commands.handler import CommandHandler
from app.data.cache import shared_cache
from app.data.fix_memory_log import FixMemoryFromLog, outcome_log
from app.data.ports import Cache
from app.environments.cache import EnvironmentCache
from app.environments.wiring import environment_cache
from app.errors import ConfigurationError
from app.events.model import Event, EventType
from app.events.store import EventStore
from app.github.auth import app_credentials
from app.github.ci_source import CI_EVENT_TYPES, CiHealing
from app.github.client import GitHubApp
from app.github.dashboard_issue import DASHBOARD_TRIGGERS, RepositoryDashboard
from app.github.feedback import FEEDBACK_EVENT_TYPES, PullRequestFeedback
from app.github.fix_pr import FixPullRequests
from app.github.function_triggers import FunctionTriggers, HandOff
from app.github.onboarding import Onboarding
from app.github.repo_configs import RepoConfigs
from app.github.sentry_source import SentryHealing, SentryProjects
from app.healing import Budget
from app.healing.hang_guard import HangGuard
from app.healing.runner import CommandRunner, SandboxCommandRunner
from app.llm import LLMProviderAbstraction, SharedResponseCache
from app.settings import Settings
from functions import ServerlessRuntime
from functions.runtime import EventSink
from functions.sandbox import Sandbox, SandboxUnavailable
from workers.jobs import Router
from workers.queue import ArqQueue

log = logging.getLogger(__name__)


def _secrets(settings: Settings) -> list[str]:
    """Every secret value the app holds, to be scrubbed from any text it publishes."""
    values = [
        settings.github_webhook_secret,
        settings.sentry_webhook_secret,
        settings.github_app_private_key,
        settings.llm_api_key,
        settings.dashboard_token,
        settings.sentry_dsn,
    ]
    return [value.get_secret_value() for value in values if value is not None]


def require_sandbox(settings: Settings) -> Sandbox:
    """The sandbox this process runs repositories' code in, or `SandboxUnavailable` saying
    why there is none: a worker refuses to start rather than take jobs it cannot run."""
    return Sandbox(allow_degraded=settings.sandbox_allow_degraded)


def _runtimes(settings: Settings) -> Callable[[EventSink], ServerlessRuntime]:
    """Function runtimes sharing one sandbox, probed on first use rather than at start-up."""
    sandboxes: list[Sandbox] = []

    def build(sink: EventSink) -> ServerlessRuntime:
        if not sandboxes:
            sandboxes.append(Sandbox(allow_degraded=settings.sandbox_allow_degraded))
        return ServerlessRuntime(sandbox=sandboxes[0], on_invoked=sink)

    return build


def register_github_handlers(
    router: Router,
    settings: Settings,
    store: EventStore,
    *,
    runner: CommandRunner | None = None,
    github: GitHubApp | None = None,
    sandbox: Sandbox | None = None,
    environments: EnvironmentCache | None = None,
) -> bool:
    """Route GitHub events to the App's features; False (and nothing routed) without an App.

    `sandbox` and `environments` are the process's own (see `app.services`); a router built
    without them gets its own, from the same settings."""
    credentials = app_credentials(settings)
    if credentials is None and github is None:
        log.info("no GitHub App configured (GITHUB_APP_ID unset): GitHub events are only stored")
        return False
    if sandbox is None:
        try:
            sandbox = require_sandbox(settings)
        except SandboxUnavailable as unavailable:
            # The server keeps storing webhooks; each heal fails naming this, /readyz shows it.
            log.error("healing and functions cannot run: %s", unavailable)
    if runner is None:
        # Without a sandbox the runner probes again on its first run and refuses, saying why.
        runner = SandboxCommandRunner(
            sandbox,
            allow_degraded=settings.sandbox_allow_degraded,
            disk_mb=settings.sandbox_disk_mb,
        )
    if environments is None and sandbox is not None:
        environments = environment_cache(settings, sandbox)
    # Shared by every process on Redis (installation tokens, permissions, repository configs),
    # so workers neither mint a token each nor ask GitHub the same question each.
    cache = shared_cache(settings)
    if github is None:
        assert credentials is not None
        github = GitHubApp(credentials, api_url=settings.github_api_url, cache=cache)
    budget = Budget(
        seconds=settings.healing_budget_seconds,
        parallel=settings.healing_parallel_candidates,
        run_timeout=min(120.0, settings.healing_budget_seconds),
        hangs=HangGuard(
            settings.test_timeout_seconds,
            settings.test_timeout_factor,
            settings.test_timeout_floor_seconds,
        ),
        warm=settings.healing_warm_validation,
    )
    fixes = FixPullRequests(
        github,
        store,
        runner=runner,
        budget=budget,
        draft_below=settings.github_draft_below_confidence,
        secrets=_secrets(settings),
        scratch_root=None,
        llm_for_case=_llm_for_case(settings, cache),
        # One per process, filled from the log (the embedded Qdrant admits one process).
        fix_memory=FixMemoryFromLog(outcome_log(store)),
        environments=environments,
    )
    replays = RepositoryReplay(
        github,
        store,
        runner=runner,
        max_cases=settings.evolution_recorded_cases,
        case_budget=Budget(seconds=min(budget.seconds, 90.0), parallel=1, run_timeout=60.0),
        environments=environments,
    )
    commands = CommandHandler(
        github,
        store,
        fixes,
        cache=cache,
        llm_configured=bool(settings.llm_model),
        replays=replays,
        sentry_bindings=settings.sentry_bindings,
    )
    router.on(EventType.GITHUB_ISSUE_COMMENT_CREATED, commands)
    configs = RepoConfigs(github, cache)
    router.on("github.push", configs.forget_on_push)
    onboarding = Onboarding(github, store, configs)
    router.on(EventType.GITHUB_INSTALLATION_CREATED, onboarding)
    router.on(EventType.GITHUB_INSTALLATION_REPOSITORIES_ADDED, onboarding)
    sentry = SentryHealing(
        github,
        store,
        fixes,
        configs,
        SentryProjects(store, configs),
        bindings=settings.sentry_bindings,
    )
    router.on(EventType.SENTRY_EVENT_ALERT_TRIGGERED, sentry)
    router.on(EventType.SENTRY_ERROR_CREATED, sentry)
    ci = CiHealing(github, store, fixes, configs)
    for kind in CI_EVENT_TYPES:
        router.on(kind, ci)
    triggers = FunctionTriggers(
        github, store, configs, runtime_factory=_runtimes(settings), hand_off=_hand_off(settings)
    )
    router.on("*", triggers)
    feedback = PullRequestFeedback(store)
    for kind in FEEDBACK_EVENT_TYPES:
        router.on(kind, feedback)
    # Last, so it sees what the healing handlers of the same event recorded.
    dashboard = RepositoryDashboard(github, store, configs, secrets=_secrets(settings))
    for trigger in DASHBOARD_TRIGGERS:
        router.on(trigger, dashboard)
    log.info("GitHub App handlers registered", extra={"app_id": github.credentials.app_id})
    return True


def _llm_for_case(settings: Settings, cache: Cache) -> Callable[[], LLMProviderAbstraction] | None:
    """Each healing case gets the configured LLM with its own cost budget; None without one."""
    if not settings.llm_model:
        return None
    provider = LLMProviderAbstraction(settings=settings, cache=SharedResponseCache(cache))
    return lambda: provider.for_case(settings.llm_cost_budget_usd)


def _hand_off(settings: Settings) -> HandOff | None:
    """With Redis, functions of other regions go to their regions' queues; embedded, none."""
    if not settings.redis_url:
        return None
    queue = ArqQueue(settings.redis_url, queue_name=settings.queue_name)

    async def hand_off(region: str, event: Event, names: list[str]) -> None:
        await queue.enqueue_functions(region, event.id, names)
        log.info("functions handed to their region", extra={"region": region, "functions": names})

    return hand_off


def region_function_runner(
    settings: Settings, store: EventStore, region: str
) -> Callable[[Event, list[str]], Awaitable[None]]:
    """What a region's worker runs: the named functions of an event, all in this region."""
    credentials = app_credentials(settings)
    if credentials is None:
        raise ConfigurationError(
            "a region worker runs repositories' functions through the GitHub App: "
            "set GITHUB_APP_ID and its private key"
        )
    cache = shared_cache(settings)
    github = GitHubApp(credentials, api_url=settings.github_api_url, cache=cache)
    triggers = FunctionTriggers(
        github,
        store,
        RepoConfigs(github, cache),
        runtime_factory=_runtimes(settings),
        region=region,
    )
    return triggers.run
