"""`/heal` on an issue that links a Sentry issue instead of pasting a traceback: the latest
Sentry event Kintsugi has stored for that issue becomes the incident."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from app.events.model import Event, EventType
from app.events.store import EventStore
from app.github.sentry_source import sentry_event_body
from app.healing import Incident
from app.healing.incidents import UnreadableIncident, incident_from_sentry

# `https://<org>.sentry.io/issues/<id>/`, and `…/organizations/<org>/issues/<id>/` on
# sentry.io or a self-hosted Sentry.
_SENTRY_ISSUE = re.compile(
    r"https?://(?:[\w.-]*sentry[\w.-]*(?::\d+)?/(?:organizations/[\w.-]+/)?"
    r"|[\w.-]+(?::\d+)?/organizations/[\w.-]+/)issues/(?P<id>\d+)"
)
# The webhooks that carry a whole event, with its stack trace.
SENTRY_EVENT_TYPES = (EventType.SENTRY_EVENT_ALERT_TRIGGERED, EventType.SENTRY_ERROR_CREATED)
_PAGE = 1000


def linked_sentry_issue(texts: Iterable[str]) -> str | None:
    """The id of the first Sentry issue linked in `texts`, in order; None when none is."""
    for text in texts:
        match = _SENTRY_ISSUE.search(text)
        if match is not None:
            return match["id"]
    return None


def _of_issue(event: Event, issue_id: str) -> bool:
    body = sentry_event_body(event.payload)
    if str(body.get("issue_id") or "") == issue_id:
        return True
    urls = (body.get(key) for key in ("web_url", "issue_url", "url"))
    return any(isinstance(url, str) and f"/issues/{issue_id}/" in url for url in urls)


async def latest_sentry_event(store: EventStore, issue_id: str) -> Event | None:
    """The most recently stored Sentry event of Sentry issue `issue_id`."""
    latest: Event | None = None
    after = 0
    while True:
        page = await store.read_all(after=after, limit=_PAGE, types=SENTRY_EVENT_TYPES)
        latest = next((e for e in reversed(page) if _of_issue(e, issue_id)), latest)
        if len(page) < _PAGE or page[-1].position is None:
            return latest
        after = page[-1].position


@dataclass(frozen=True)
class LinkedIncident:
    """What a linked Sentry issue gave: the incident, or why there is none."""

    issue_id: str
    incident: Incident | None = None
    problem: str = ""


async def incident_from_link(store: EventStore, texts: Iterable[str]) -> LinkedIncident | None:
    """The incident of the Sentry issue linked in `texts`; None when no Sentry issue is linked."""
    issue_id = linked_sentry_issue(texts)
    if issue_id is None:
        return None
    event = await latest_sentry_event(store, issue_id)
    if event is None:
        return LinkedIncident(
            issue_id,
            problem=(
                f"This issue links Sentry issue {issue_id}, but Kintsugi has not received an "
                "event for that Sentry issue yet. Once Sentry sends one (an alert rule or the "
                "error webhook of Kintsugi's Sentry integration), `/heal` again — or paste the "
                "traceback in a comment with `/heal`."
            ),
        )
    try:
        return LinkedIncident(issue_id, incident_from_sentry(event.payload))
    except UnreadableIncident as error:
        return LinkedIncident(
            issue_id,
            problem=(
                f"The latest event Kintsugi received for Sentry issue {issue_id} has no Python "
                f"stack trace to heal ({error}). Paste the traceback in a comment with `/heal`."
            ),
        )
