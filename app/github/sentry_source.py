"""Sentry → fix pull request: an `event_alert` or `error` webhook for a Sentry project that a
repository's config maps (`sentry: {project: …}`) heals that repository.

Finding the repository means reading the config of every installed repository. The mapping is
cached for `PROJECTS_TTL_SECONDS` (and each config for a minute by `RepoConfigs`), so an alert
storm costs at most one contents read per installed repository (two when it has no config of
its own: the owner's `.github` repository is the fallback) per five minutes, and a newly mapped
project starts healing within five minutes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Mapping
from typing import Any

from app.data.cache import InProcessCache
from app.data.ports import Cache
from app.errors import PermanentError
from app.events.model import Event, EventType
from app.events.store import DuplicateEventError, EventStore
from app.github.api import GitHubRepository, RepoRef
from app.github.client import GitHubApp
from app.github.config import SentryMapping
from app.github.fix_pr import SOURCE, FixPullRequests, HealOutcome, HealTarget
from app.github.installations import load_installations
from app.github.pull_text import branch_name
from app.github.repo_configs import RepoConfigs, automatic_refusal
from app.healing.incidents import Incident, UnreadableIncident, incident_from_sentry

log = logging.getLogger(__name__)

PROJECTS_TTL_SECONDS = 300.0
_PROJECT_IN_URL = re.compile(r"/projects/(?P<organization>[^/]+)/(?P<slug>[^/]+)/")
_ORGANIZATION_IN_URL = re.compile(
    r"/organizations/(?P<path>[^/]+)/|^https?://(?P<host>[\w-]+)\.sentry\.io/"
)
_CONCURRENT_READS = 8


def sentry_event_body(payload: dict[str, Any]) -> dict[str, Any]:
    data = payload.get("data")
    if isinstance(data, dict):
        for key in ("event", "error"):
            inner = data.get(key)
            if isinstance(inner, dict):
                return inner
    return {}


def sentry_project_keys(payload: dict[str, Any]) -> set[str]:
    """Every name the webhook gives its project: the numeric id, and the slug (from the API
    URL of the event, as webhooks carry no slug field of their own)."""
    body = sentry_event_body(payload)
    keys: set[str] = set()
    for field in ("project", "project_id", "project_slug"):
        value = body.get(field)
        if isinstance(value, int | str) and str(value):
            keys.add(str(value).lower())
    url = body.get("url")
    if isinstance(url, str) and (match := _PROJECT_IN_URL.search(url)):
        keys.add(match["slug"].lower())
    return keys


def sentry_organization(payload: dict[str, Any]) -> str | None:
    """The slug of the Sentry organisation the webhook's event belongs to, from its URLs."""
    body = sentry_event_body(payload)
    url = body.get("url")
    if isinstance(url, str) and (match := _PROJECT_IN_URL.search(url)):
        return match["organization"].lower()
    for key in ("web_url", "issue_url"):
        value = body.get(key)
        if isinstance(value, str) and (found := _ORGANIZATION_IN_URL.search(value)):
            return (found["path"] or found["host"]).lower()
    return None


def maps_event(mapping: SentryMapping, payload: dict[str, Any]) -> bool:
    """Whether the repository's `sentry:` mapping names the project (and, when it names one,
    the organisation) of the webhook's event."""
    if not mapping.project or mapping.project.lower() not in sentry_project_keys(payload):
        return False
    if mapping.organization is None:
        return True
    return sentry_organization(payload) == mapping.organization.lower()


SentryBindings = Mapping[str, frozenset[int]]


def binding_refusal(
    bindings: SentryBindings | None, payload: dict[str, Any], installation_id: int
) -> str | None:
    """Why the operator's `SENTRY_INSTALLATIONS` keeps the webhook's event from repositories of
    GitHub installation `installation_id`; None when it does not (or is unset). The Sentry
    organisation is the one Sentry's signed webhook names, never a repository's claim. The
    reason quotes nothing of the event."""
    if bindings is None:
        return None
    organization = sentry_organization(payload)
    if organization is None:
        return (
            "the Sentry event names no organisation, and SENTRY_INSTALLATIONS admits only the "
            "events of organisations it binds to an installation"
        )
    allowed = bindings.get(organization)
    if allowed is None:
        return (
            "the Sentry organisation of the event is not listed in SENTRY_INSTALLATIONS, so its "
            "events reach no repository"
        )
    if installation_id not in allowed:
        return (
            "SENTRY_INSTALLATIONS does not bind the Sentry organisation of the event to GitHub "
            f"installation {installation_id}, so its events reach none of that installation's "
            "repositories"
        )
    return None


class SentryProjects:
    """Sentry project (slug or id) → the installed repositories whose config maps it."""

    def __init__(
        self,
        store: EventStore,
        configs: RepoConfigs,
        cache: Cache | None = None,
        *,
        ttl: float = PROJECTS_TTL_SECONDS,
    ) -> None:
        self.store = store
        self.configs = configs
        self.cache = cache or InProcessCache()
        self.ttl = ttl

    async def repositories(self, keys: set[str]) -> list[tuple[int, RepoRef]]:
        mapping = await self._mapping()
        found: list[tuple[int, RepoRef]] = []
        for key in sorted(keys):
            for installation_id, full_name in mapping.get(key, []):
                found.append((int(installation_id), RepoRef.parse(str(full_name))))
        return found

    async def _mapping(self) -> dict[str, list[list[Any]]]:
        cached = await self.cache.get("sentry:projects")
        if isinstance(cached, dict):
            return cached
        installations = await load_installations(self.store)
        gate = asyncio.Semaphore(_CONCURRENT_READS)

        async def project_of(installation_id: int, full_name: str) -> tuple[str, int, str] | None:
            async with gate:
                try:
                    loaded = await self.configs.load(installation_id, RepoRef.parse(full_name))
                except (PermanentError, ValueError) as error:
                    log.warning(
                        "config unreadable while mapping Sentry projects",
                        extra={"repository": full_name, "error": str(error)},
                    )
                    return None
            project = loaded.config.sentry.project
            return (project.lower(), installation_id, full_name) if project else None

        found = await asyncio.gather(
            *(
                project_of(item.id, name)
                for item in installations.active()
                for name in item.repositories
            )
        )
        mapping: dict[str, list[list[Any]]] = {}
        for entry in found:
            if entry is not None:
                mapping.setdefault(entry[0], []).append([entry[1], entry[2]])
        await self.cache.set("sentry:projects", mapping, ttl=self.ttl)
        return mapping


class SentryHealing:
    """The handler for `sentry.event_alert.triggered` and `sentry.error.created`: once per
    webhook event and repository, however often the job runs."""

    def __init__(
        self,
        github: GitHubApp,
        store: EventStore,
        fixes: FixPullRequests,
        configs: RepoConfigs,
        projects: SentryProjects,
        *,
        bindings: SentryBindings | None = None,
    ) -> None:
        self.github = github
        self.store = store
        self.fixes = fixes
        self.configs = configs
        self.projects = projects
        self.bindings = bindings

    async def __call__(self, event: Event) -> None:
        keys = sentry_project_keys(event.payload)
        if not keys:
            return
        targets = await self.projects.repositories(keys)
        if not targets:
            log.info("Sentry project maps to no repository", extra={"projects": sorted(keys)})
            return
        try:
            incident = incident_from_sentry(event.payload)
        except UnreadableIncident as error:
            log.info("Sentry event not healable", extra={"error": str(error)})
            return
        for installation_id, repo in targets:
            await self._heal(event, incident, installation_id, repo)

    async def _heal(
        self,
        event: Event,
        incident: Incident,
        installation_id: int,
        repo: RepoRef,
    ) -> None:
        key = f"heal:{event.id}:{repo.full_name.lower()}"
        if await self.store.find_by_idempotency_key(key) is not None:
            return
        extra = {"repository": repo.full_name, "event_id": str(event.id)}
        loaded = await self.configs.load(installation_id, repo)
        refusal = automatic_refusal(loaded, "sentry")
        if refusal is not None or not maps_event(loaded.config.sentry, event.payload):
            log.info("Sentry event not acted on", extra={**extra, "reason": refusal})
            return
        body = sentry_event_body(event.payload)
        trigger_url = str(body.get("web_url") or body.get("url") or "a Sentry event")
        issue_id = str(body.get("issue_id") or "")
        unbound = binding_refusal(self.bindings, event.payload, installation_id)
        if unbound is not None:
            log.warning(
                "Sentry event refused",
                extra={
                    **extra,
                    "reason": unbound,
                    "installation_id": installation_id,
                    "sentry_organization": sentry_organization(event.payload),
                },
            )
            refused = HealOutcome(f"Not healed: {unbound}.")
            await self._record(event, key, repo, issue_id, trigger_url, refused)
            return
        api = GitHubRepository(await self.github.installation_client(installation_id), repo)
        outcome = await self._recurrence(api, repo, issue_id, trigger_url, event)
        if outcome is None:
            details = await api.details()
            target = HealTarget(
                installation_id=installation_id,
                repository=repo.full_name,
                clone_url=details.clone_url,
                base_branch=details.default_branch,
                trigger_url=trigger_url,
            )
            outcome = await self.fixes.heal(api, target, incident, loaded.config, event)
        log.info("Sentry event healed", extra={**extra, "outcome": outcome.message[:200]})
        await self._record(event, key, repo, issue_id, trigger_url, outcome)

    async def _record(
        self,
        event: Event,
        key: str,
        repo: RepoRef,
        issue_id: str,
        trigger_url: str,
        outcome: HealOutcome,
    ) -> None:
        record = event.caused(
            EventType.HEALING_TRIGGER_HANDLED,
            SOURCE,
            {
                "trigger": "sentry",
                "repository": repo.full_name,
                "sentry_issue_id": issue_id or None,
                "trigger_url": trigger_url,
                "fingerprint": outcome.fingerprint,
                "pull_url": outcome.pull_url,
                "message": outcome.message,
            },
        ).model_copy(update={"idempotency_key": key})
        with contextlib.suppress(DuplicateEventError):
            await self.store.append(f"sentry-healing/{repo.full_name}", record)

    async def _recurrence(
        self,
        api: GitHubRepository,
        repo: RepoRef,
        issue_id: str,
        trigger_url: str,
        event: Event,
    ) -> HealOutcome | None:
        """A new event of a Sentry issue whose fix pull request is still open: say so on it,
        without healing the same failure again."""
        if not issue_id:
            return None
        handled = await self.store.read_all(types=[EventType.HEALING_TRIGGER_HANDLED], limit=10_000)
        earlier = [
            e.payload
            for e in handled
            if e.payload.get("repository") == repo.full_name
            and e.payload.get("sentry_issue_id") == issue_id
            and e.payload.get("pull_url")
            and e.payload.get("fingerprint")
        ]
        if not earlier:
            return None
        fingerprint = str(earlier[-1]["fingerprint"])
        pull = await api.open_pull(branch_name(fingerprint))
        if pull is None:
            return None  # merged or closed: a recurrence deserves a fresh look
        await api.comment(
            pull.number,
            f"The same Sentry issue happened again: {trigger_url}. This pull request still "
            "fixes it.",
        )
        updated = event.caused(
            EventType.HEALING_PR_UPDATED,
            SOURCE,
            {
                "repository": repo.full_name,
                "fingerprint": fingerprint,
                "pull_url": pull.html_url,
                "trigger_url": trigger_url,
            },
        )
        await self.store.append(f"healing-{fingerprint}", updated)
        return HealOutcome(
            f"This failure already has a fix pull request: {pull.html_url}",
            pull.html_url,
            fingerprint,
        )
