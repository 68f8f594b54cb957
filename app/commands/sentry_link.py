"""`/heal` on an issue that links a Sentry issue instead of pasting a traceback: the latest
Sentry event Kintsugi has stored for that issue becomes the incident — only when that event is
of the Sentry project the repository maps, so no other tenant's errors are ever used."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from app.events.model import Event, EventType
from app.events.store import EventStore
from app.github.config import CONFIG_PATH, SentryMapping
from app.github.sentry_source import (
    SentryBindings,
    binding_refusal,
    maps_event,
    sentry_event_body,
    sentry_organization,
)
from app.healing import Incident
from app.healing.incidents import UnreadableIncident, incident_from_sentry

# `https://<org>.sentry.io/issues/<id>/`, and `…/organizations/<org>/issues/<id>/` on
# sentry.io or a self-hosted Sentry.
_SENTRY_ISSUE = re.compile(
    r"https?://(?P<host>[\w.-]+)(?::\d+)?/(?:organizations/(?P<organization>[\w.-]+)/)?"
    r"issues/(?P<id>\d+)"
)
# The webhooks that carry a whole event, with its stack trace.
SENTRY_EVENT_TYPES = (EventType.SENTRY_EVENT_ALERT_TRIGGERED, EventType.SENTRY_ERROR_CREATED)
_PAGE = 1000


@dataclass(frozen=True)
class SentryLink:
    """A linked Sentry issue: its id, and its organisation when the link names one."""

    issue_id: str
    organization: str | None


def sentry_link(texts: Iterable[str]) -> SentryLink | None:
    """The first Sentry issue linked in `texts`, in order; None when none is."""
    for text in texts:
        for match in _SENTRY_ISSUE.finditer(text):
            host, organization = match["host"].lower(), match["organization"]
            if organization is None and host.endswith(".sentry.io"):
                organization = host.removesuffix(".sentry.io")
            if organization is None and "sentry" not in host:
                continue  # an `issues/<n>` page of something else, a GitHub issue say
            return SentryLink(match["id"], organization.lower() if organization else None)
    return None


def linked_sentry_issue(texts: Iterable[str]) -> str | None:
    """The id of the first Sentry issue linked in `texts`, in order; None when none is."""
    link = sentry_link(texts)
    return link.issue_id if link else None


def _of_issue(event: Event, issue_id: str) -> bool:
    body = sentry_event_body(event.payload)
    if str(body.get("issue_id") or "") == issue_id:
        return True
    urls = (body.get(key) for key in ("web_url", "issue_url", "url"))
    return any(isinstance(url, str) and f"/issues/{issue_id}/" in url for url in urls)


async def latest_sentry_event(
    store: EventStore, issue_id: str, accept: Callable[[Event], bool] = lambda _: True
) -> Event | None:
    """The most recently stored Sentry event of Sentry issue `issue_id` that `accept` takes."""
    latest: Event | None = None
    after = 0
    while True:
        page = await store.read_all(after=after, limit=_PAGE, types=SENTRY_EVENT_TYPES)
        latest = next((e for e in reversed(page) if _of_issue(e, issue_id) and accept(e)), latest)
        if len(page) < _PAGE or page[-1].position is None:
            return latest
        after = page[-1].position


@dataclass(frozen=True)
class LinkedIncident:
    """What a linked Sentry issue gave: the incident, or why there is none."""

    issue_id: str
    incident: Incident | None = None
    problem: str = ""


@dataclass(frozen=True)
class SentryScope:
    """Whose Sentry events a command may use: the repository's `sentry:` mapping, and whether
    the repository is installed in the installation the command came from (the one Sentry
    events of that project are routed to), and which installations the operator's
    `SENTRY_INSTALLATIONS` lets receive each Sentry organisation's events."""

    repository: str
    mapping: SentryMapping
    installed: bool
    installation_id: int = 0
    bindings: SentryBindings | None = None


async def incident_from_link(
    store: EventStore, texts: Iterable[str], scope: SentryScope
) -> LinkedIncident | None:
    """The incident of the Sentry issue linked in `texts`, when its latest event is of the
    project `scope` maps; None when no Sentry issue is linked. Another project's event is
    never read into the incident, nor described in the problem."""
    link = sentry_link(texts)
    if link is None:
        return None
    refusal = _refusal(link, scope)
    if refusal is not None:
        return LinkedIncident(link.issue_id, problem=refusal)
    event = await latest_sentry_event(
        store,
        link.issue_id,
        lambda e: (
            _in_scope(e, link, scope.mapping)
            and binding_refusal(scope.bindings, e.payload, scope.installation_id) is None
        ),
    )
    if event is None and scope.bindings is not None:
        unbound = await latest_sentry_event(
            store, link.issue_id, lambda e: _in_scope(e, link, scope.mapping)
        )
        if unbound is not None:
            reason = binding_refusal(scope.bindings, unbound.payload, scope.installation_id)
            return LinkedIncident(
                link.issue_id,
                problem=(
                    f"This issue links Sentry issue {link.issue_id}, but Kintsugi did not use "
                    f"its events here: {reason}. The operator of this Kintsugi decides which "
                    "installations receive which Sentry organisation's events; pasting the "
                    "traceback in a comment with `/heal` works now."
                ),
            )
    if event is None:
        return LinkedIncident(
            link.issue_id,
            problem=(
                f"This issue links Sentry issue {link.issue_id}, but Kintsugi has not received an "
                f"event for that Sentry issue yet from the Sentry project "
                f"`{scope.mapping.project}` that this repository maps. Once Sentry sends one (an "
                "alert rule or the error webhook of Kintsugi's Sentry integration), `/heal` "
                "again — or paste the traceback in a comment with `/heal`."
            ),
        )
    try:
        return LinkedIncident(link.issue_id, incident_from_sentry(event.payload))
    except UnreadableIncident as error:
        return LinkedIncident(
            link.issue_id,
            problem=(
                f"The latest event Kintsugi received for Sentry issue {link.issue_id} has no "
                f"Python stack trace to heal ({error}). Paste the traceback in a comment with "
                "`/heal`."
            ),
        )


def _refusal(link: SentryLink, scope: SentryScope) -> str | None:
    """Why the link cannot be used here at all, before any stored event is looked at."""
    mapping = scope.mapping
    if not mapping.project:
        return (
            f"This issue links Sentry issue {link.issue_id}, but `{CONFIG_PATH}` of this "
            "repository maps no Sentry project (`sentry: {project: <slug>}`), and Kintsugi uses "
            "a linked Sentry issue only when it belongs to the project the repository maps. Map "
            "the project, or paste the traceback in a comment with `/heal`."
        )
    if not scope.installed:
        return (
            f"This issue links Sentry issue {link.issue_id}, but Kintsugi has no record of "
            f"{scope.repository} in the installation this command came from, and Sentry events "
            "reach a repository only through its installation. Reinstalling the App on the "
            "repository records it; pasting the traceback in a comment with `/heal` works now."
        )
    wanted = mapping.organization.lower() if mapping.organization else None
    if wanted and link.organization and link.organization != wanted:
        return (
            f"This issue links Sentry issue {link.issue_id} of the Sentry organisation "
            f"`{link.organization}`, but this repository maps the organisation `{wanted}` in "
            f"`{CONFIG_PATH}`, so Kintsugi did not use it."
        )
    return None


def _in_scope(event: Event, link: SentryLink, mapping: SentryMapping) -> bool:
    if not maps_event(mapping, event.payload):
        return False
    organization = sentry_organization(event.payload)
    return link.organization is None or organization is None or organization == link.organization
