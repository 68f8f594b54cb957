"""`/heal` with a linked Sentry issue: finding the link, and the latest stored event of it."""

from __future__ import annotations

import copy
import json
from typing import Any

from app.commands.sentry_link import SentryScope, incident_from_link, linked_sentry_issue
from app.events import Event, EventType, InMemoryEventStore
from app.github.config import SentryMapping
from tests.conftest import CORPUS


def test_sentry_issue_links_of_either_form_are_found_and_others_are_not() -> None:
    assert linked_sentry_issue(["see https://acme.sentry.io/issues/4711/"]) == "4711"
    assert linked_sentry_issue(["https://sentry.io/organizations/acme/issues/12/?x=1"]) == "12"
    assert linked_sentry_issue(["https://errors.acme.test/organizations/acme/issues/9/"]) == "9"
    assert linked_sentry_issue(["https://github.com/octo/shop/issues/7"]) is None
    assert linked_sentry_issue(["no link", "https://acme.sentry.io/issues/3/"]) == "3"


# The corpus alerts are of the project `front-end` (id 1) of the organisation `test-org`.
MAPPED = SentryScope("octo/shop", SentryMapping(project="front-end"), installed=True)


def alert(issue_id: str, event_id: str, function: str) -> Event:
    payload: dict[str, Any] = json.loads(
        (CORPUS / "sentry-webhooks/event_alert/docs-event_alert.triggered.json").read_text()
    )
    payload = copy.deepcopy(payload)
    body = payload["data"]["event"]
    body.update(issue_id=issue_id, event_id=event_id)
    body["exception"] = {
        "values": [
            {
                "type": "KeyError",
                "value": "'qty'",
                "stacktrace": {
                    "frames": [
                        {
                            "abs_path": "/srv/app/shop/orders.py",
                            "filename": "shop/orders.py",
                            "function": function,
                            "lineno": 2,
                            "in_app": True,
                        }
                    ]
                },
            }
        ]
    }
    return Event(type=EventType.SENTRY_EVENT_ALERT_TRIGGERED, source="sentry", payload=payload)


async def test_the_latest_stored_event_of_the_linked_issue_becomes_the_incident() -> None:
    store = InMemoryEventStore()
    await store.append("sentry", alert("42", "a" * 32, "older"))
    await store.append("sentry", alert("42", "b" * 32, "newest"))
    await store.append("sentry", alert("43", "c" * 32, "other_issue"))

    linked = await incident_from_link(
        store, ["", "Crash: https://test-org.sentry.io/issues/42/"], MAPPED
    )
    assert linked is not None and linked.incident is not None
    assert linked.incident.exception.frames[-1].function == "newest"
    assert await incident_from_link(store, ["nothing linked"], MAPPED) is None


async def test_a_linked_issue_without_a_stored_event_says_none_was_received() -> None:
    linked = await incident_from_link(
        InMemoryEventStore(), ["https://test-org.sentry.io/issues/5/"], MAPPED
    )
    assert linked is not None and linked.incident is None
    assert "has not received an event for that Sentry issue yet" in linked.problem
