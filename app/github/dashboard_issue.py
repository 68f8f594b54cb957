"""The "Kintsugi dashboard" issue of each repository: its open healing cases and fix pull
requests, folded from the event log and written to GitHub only when what it shows changed."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from app.dashboard.projections import HealingCase, project_healing_cases
from app.errors import KintsugiError
from app.events.model import Event, EventType
from app.events.store import EventStore
from app.github.api import GitHubRepository, IssueRef, RepoRef, RepositoryApi
from app.github.client import GitHubApp
from app.github.config import CONFIG_PATH
from app.github.pull_text import scrub
from app.github.repo_configs import RepoConfigs

log = logging.getLogger(__name__)

DASHBOARD_TITLE = "Kintsugi dashboard"
DASHBOARD_LABEL = "kintsugi-dashboard"
# The healing facts that change what a dashboard shows.
DASHBOARD_EVENT_TYPES: tuple[str, ...] = (
    EventType.HEALING_CASE_OPENED,
    EventType.HEALING_FIX_VALIDATED,
    EventType.HEALING_FIX_NOT_FOUND,
    EventType.HEALING_PR_OPENED,
    EventType.HEALING_PR_UPDATED,
    EventType.HEALING_PR_MERGED,
    EventType.HEALING_PR_REJECTED,
    EventType.HEALING_PR_REVERTED,
)
# Healing events are recorded by the jobs of these webhooks, not queued themselves: the
# dashboard runs after those jobs' handlers and refreshes what their healing changed.
HEALING_WEBHOOK_TYPES: tuple[str, ...] = (
    EventType.GITHUB_ISSUE_COMMENT_CREATED,
    EventType.GITHUB_CHECK_RUN_COMPLETED,
    EventType.GITHUB_WORKFLOW_RUN_COMPLETED,
    EventType.SENTRY_EVENT_ALERT_TRIGGERED,
    EventType.SENTRY_ERROR_CREATED,
    EventType.GITHUB_PULL_REQUEST_CLOSED,
)
DASHBOARD_TRIGGERS = DASHBOARD_EVENT_TYPES + HEALING_WEBHOOK_TYPES
CLOSED_STATUS: dict[str, str] = {
    EventType.HEALING_PR_MERGED: "merged",
    EventType.HEALING_PR_REJECTED: "rejected",
    EventType.HEALING_PR_REVERTED: "reverted",
}
CLOSED_VERB = {
    "merged": "merged",
    "rejected": "closed without merging",
    "reverted": "merged, then reverted",
}
RECENTLY_CLOSED = 10
MAX_CASES = 25
_MARKER = re.compile(r"<!-- kintsugi-dashboard digest:([0-9a-f]{16,64}) -->")
_CACHE_TTL_SECONDS = 24 * 3600.0


@dataclass
class FixPullLine:
    """One fix pull request as the dashboard lists it."""

    url: str
    fingerprint: str
    status: str = "open"  # open | merged | rejected
    confidence: float | None = None
    recurrences: int = 0
    closed_at: datetime | None = None


@dataclass
class RepositoryView:
    repository: str
    cases: list[HealingCase] = field(default_factory=list)  # no pull request yet, latest first
    open_pulls: list[FixPullLine] = field(default_factory=list)
    closed_pulls: list[FixPullLine] = field(default_factory=list)  # latest first
    incidents: dict[str, str] = field(default_factory=dict)  # fingerprint → incident summary


def project_repository(repository: str, events: Iterable[Event]) -> RepositoryView:
    """What `repository`'s dashboard shows, from its healing events (in log order)."""
    own = [e for e in events if _repository_of(e) == repository]
    view = RepositoryView(repository)
    pulls: dict[str, FixPullLine] = {}
    for event in own:
        payload = event.payload
        fingerprint = str(payload.get("fingerprint") or "")
        incident = payload.get("incident")
        if event.type == EventType.HEALING_CASE_OPENED and isinstance(incident, str):
            view.incidents[fingerprint] = incident
        url = payload.get("pull_url")
        if not (isinstance(url, str) and url.startswith(("https://", "http://"))):
            continue
        line = pulls.setdefault(url, FixPullLine(url, fingerprint))
        confidence = payload.get("confidence")
        if isinstance(confidence, int | float) and not isinstance(confidence, bool):
            line.confidence = float(confidence)
        if event.type == EventType.HEALING_PR_UPDATED:
            line.recurrences += 1
        elif event.type in CLOSED_STATUS:
            line.status = CLOSED_STATUS[event.type]
            line.closed_at = event.occurred_at
        elif event.type == EventType.HEALING_PR_OPENED:
            line.status, line.closed_at = "open", None
    view.open_pulls = [line for line in pulls.values() if line.status == "open"]
    closed = [line for line in pulls.values() if line.status != "open"]
    closed.sort(key=lambda line: line.closed_at or datetime.min, reverse=True)
    view.closed_pulls = closed[:RECENTLY_CLOSED]
    # A case whose failure has a pull request is shown by that pull request; of the rest,
    # one line per failure (the latest case of each fingerprint).
    with_pull = {line.fingerprint for line in pulls.values()}
    seen: set[str] = set()
    for case in project_healing_cases(own):
        key = case.fingerprint or case.case_id
        if key in seen or key in with_pull:
            continue
        seen.add(key)
        view.cases.append(case)
    view.cases = view.cases[:MAX_CASES]
    return view


def render_dashboard(view: RepositoryView, secrets: Sequence[str] = ()) -> str:
    """The issue body, deterministic for the same events, ending with its digest marker."""
    lines = [
        f"This issue lists what Kintsugi is doing in `{view.repository}`: open healing cases "
        "and fix pull requests. Kintsugi keeps it current; edits to it are overwritten.",
        "",
        "## Open fix pull requests",
        "",
    ]
    if view.open_pulls:
        lines += ["| pull request | failure | confidence | recurred |", "|---|---|---|---|"]
        for pull in view.open_pulls:
            lines.append(
                f"| {pull.url} | {_incident(view, pull.fingerprint)} | "
                f"{_confidence(pull.confidence)} | {pull.recurrences} |"
            )
    else:
        lines.append("None.")
    lines += ["", "## Open cases", ""]
    if view.cases:
        lines += ["| failure | source | status | fingerprint |", "|---|---|---|---|"]
        for case in view.cases:
            summary = _code(case.incident or "(no summary)")
            fingerprint = _code((case.fingerprint or case.case_id)[:12])
            lines.append(f"| {summary} | {case.source or ''} | {case.status} | {fingerprint} |")
    else:
        lines.append("None.")
    lines += ["", "## Recently closed", ""]
    if view.closed_pulls:
        for pull in view.closed_pulls:
            when = pull.closed_at.strftime("%Y-%m-%d") if pull.closed_at else ""
            verb = CLOSED_VERB[pull.status]
            lines.append(f"- {pull.url}: {verb} {when} — {_incident(view, pull.fingerprint)}")
    else:
        lines.append("None.")
    lines += [
        "",
        "---",
        f"To turn this dashboard off, set `dashboard: false` in `{CONFIG_PATH}`; Kintsugi then "
        "leaves this issue alone and you may close it.",
    ]
    body = scrub("\n".join(lines), secrets)
    return f"{body}\n\n<!-- kintsugi-dashboard digest:{digest(body)} -->\n"


def digest(body: str) -> str:
    return hashlib.sha256(body.encode()).hexdigest()[:32]


def digest_of(body: str) -> str | None:
    """The digest marker a rendered body carries; None for any other text."""
    found = _MARKER.search(body)
    return found.group(1) if found else None


def _incident(view: RepositoryView, fingerprint: str) -> str:
    return _code(view.incidents.get(fingerprint) or f"fingerprint {fingerprint[:12]}")


def _code(text: str, limit: int = 100) -> str:
    # Inline code: no markdown, links or @mentions from exception text; table-safe.
    flat = " ".join(text.split()).replace("`", "'").replace("|", "¦")
    return f"`{flat[:limit]}{'…' if len(flat) > limit else ''}`"


def _confidence(value: float | None) -> str:
    return f"{value:.2f}" if value is not None else "—"


def _repository_of(event: Event) -> str | None:
    repository = event.payload.get("repository")
    if isinstance(repository, dict):
        repository = repository.get("full_name")
    return repository if isinstance(repository, str) and "/" in repository else None


@dataclass(frozen=True)
class _Target:
    installation_id: int
    repository: str


class RepositoryDashboard:
    """The handler that keeps each repository's dashboard issue current. Idempotent: the body
    is a function of the log, and a body GitHub already shows is never written again."""

    def __init__(
        self,
        github: GitHubApp,
        store: EventStore,
        configs: RepoConfigs,
        *,
        secrets: Sequence[str] = (),
        page_size: int = 1000,
    ) -> None:
        self.github = github
        self.store = store
        self.configs = configs
        self.secrets = list(secrets)
        self.page_size = page_size

    async def __call__(self, event: Event) -> None:
        own_job = event.type in DASHBOARD_EVENT_TYPES
        # What a webhook caused was recorded after it: most webhooks heal nothing, and then
        # only the short tail of the log is read.
        since = 0 if own_job else event.position or 0
        targets = _targets(event, await self._healing_events(after=since))
        if not targets:
            return
        events = await self._healing_events()
        for target in targets:
            try:
                await self.refresh(target.installation_id, target.repository, events)
            except KintsugiError as error:
                if own_job:
                    raise  # the job retries what failed
                # Riding along a healing job: a retry would redo the healing, and the next
                # healing event refreshes the dashboard anyway.
                log.warning(
                    "dashboard issue not updated",
                    extra={"repository": target.repository, "error": str(error)},
                )

    async def refresh(self, installation_id: int, repository: str, events: list[Event]) -> None:
        """Render `repository`'s dashboard and bring its issue in line, if the config allows."""
        repo = RepoRef.parse(repository)
        loaded = await self.configs.load(installation_id, repo)
        if not loaded.exists or not loaded.config.dashboard:
            return  # like the automatic sources: nothing unasked-for in a repository
        body = render_dashboard(project_repository(repository, events), self.secrets)
        wanted = digest_of(body)
        key = f"github:dashboard:{repository.lower()}"
        cached = await self.configs.cache.get(key)
        if isinstance(cached, dict) and cached.get("digest") == wanted:
            return
        client = await self.github.installation_client(installation_id)
        api = GitHubRepository(client, repo)
        issue = await find_dashboard(api)
        if issue is None:
            issue = await api.create_issue(
                title=DASHBOARD_TITLE, body=body, labels=[DASHBOARD_LABEL]
            )
            log.info("dashboard issue opened", extra={"repository": repository})
        elif digest_of(issue.body) != wanted:
            await api.update_issue_body(issue.number, body)
            log.info("dashboard issue updated", extra={"repository": repository})
        await self.configs.cache.set(
            key, {"digest": wanted, "issue": issue.number}, ttl=_CACHE_TTL_SECONDS
        )

    async def _healing_events(self, after: int = 0) -> list[Event]:
        events: list[Event] = []
        while True:
            page = await self.store.read_all(
                after=after, limit=self.page_size, types=DASHBOARD_EVENT_TYPES
            )
            events.extend(page)
            if len(page) < self.page_size:
                return events
            after = page[-1].position or after + len(page)


async def find_dashboard(api: RepositoryApi) -> IssueRef | None:
    """The open dashboard issue Kintsugi opened (labelled, by a bot, carrying the marker);
    the oldest when a race opened two."""
    issues = await api.open_issues(label=DASHBOARD_LABEL)
    own = [issue for issue in issues if issue.author_is_bot and digest_of(issue.body) is not None]
    return min(own, key=lambda issue: issue.number) if own else None


def _targets(event: Event, events: list[Event]) -> list[_Target]:
    """The repositories whose dashboards `event` may have changed: its own, for a healing
    event; those of the healing events it caused, for a webhook."""
    if event.type in DASHBOARD_EVENT_TYPES:
        caused = [event]
    else:
        caused = [e for e in events if e.metadata.causation_id == event.id]
    found: dict[str, _Target] = {}
    for healing in caused:
        repository = _repository_of(healing)
        installation = healing.metadata.installation_id or event.metadata.installation_id
        if repository is not None and installation is not None:
            found.setdefault(repository, _Target(installation, repository))
    return list(found.values())
