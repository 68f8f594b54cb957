"""What a webhook delivery becomes: its event type, stream, idempotency key and metadata."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app import jsoncodec
from app.events.model import Event, EventMetadata, webhook_event_type


class MalformedDelivery(ValueError):
    """The delivery cannot be stored as it is; the message says why (answered with 400)."""


@dataclass(frozen=True)
class GitHubDelivery:
    event: str
    delivery_id: str | None
    hook_id: str | None
    body: bytes


@dataclass(frozen=True)
class SentryDelivery:
    resource: str
    request_id: str | None
    timestamp: str | None
    body: bytes


# Parses a payload with the provider's typed models: True if it validates, False if it does not,
# None when there is no model for that event name.
PayloadValidator = Callable[[str, dict[str, Any]], bool | None]


def parse_json_object(body: bytes) -> dict[str, Any]:
    try:
        payload = jsoncodec.loads(body)
    except jsoncodec.JSONDecodeError as error:
        raise MalformedDelivery(f"the body is not valid JSON: {error}") from error
    if not isinstance(payload, dict):
        raise MalformedDelivery("the body must be a JSON object")
    return payload


def github_event(delivery: GitHubDelivery, validate: PayloadValidator) -> Event:
    payload = parse_json_object(delivery.body)
    action = payload.get("action") if isinstance(payload.get("action"), str) else None
    installation = payload.get("installation")
    installation_id = installation.get("id") if isinstance(installation, dict) else None
    key = delivery.delivery_id or _digest(delivery.body)
    return Event(
        type=webhook_event_type("github", delivery.event, action),
        source="github",
        stream=_github_stream(payload, installation_id),
        payload=payload,
        idempotency_key=f"github:{key}",
        metadata=EventMetadata(
            delivery_id=delivery.delivery_id,
            installation_id=installation_id if isinstance(installation_id, int) else None,
            validated=validate(delivery.event, payload),
            hook_id=delivery.hook_id,
        ),
    )


def _github_stream(payload: dict[str, Any], installation_id: object) -> str:
    repository = payload.get("repository")
    if isinstance(repository, dict) and isinstance(repository.get("full_name"), str):
        return f"github/{repository['full_name']}"
    if installation_id is not None:
        return f"github/installation/{installation_id}"
    return "github/app"


def sentry_event(delivery: SentryDelivery) -> Event:
    payload = parse_json_object(delivery.body) if delivery.body.strip() else {}
    action = payload.get("action") if isinstance(payload.get("action"), str) else None
    installation = payload.get("installation")
    uuid = installation.get("uuid") if isinstance(installation, dict) else None
    return Event(
        type=webhook_event_type("sentry", delivery.resource, action),
        source="sentry",
        stream=f"sentry/{uuid}" if uuid else "sentry",
        payload=payload,
        idempotency_key=sentry_identity(delivery.resource, action, payload, delivery.body),
        metadata=EventMetadata(
            delivery_id=delivery.request_id,
            validated=None,
            sentry_installation=uuid,
            hook_timestamp=delivery.timestamp,
        ),
    )


def sentry_identity(resource: str, action: str | None, payload: dict[str, Any], body: bytes) -> str:
    """The delivery's own identity. `Request-ID` changes on every retry, so it cannot be used:
    an error is keyed by its Sentry event id, an alert by the event id and the rule that fired
    (two rules firing on one event are two deliveries), anything else by its content."""
    data = payload.get("data")
    if not isinstance(data, dict):
        return f"sentry:{resource}:{action}:{_digest(body)}"
    for holder in ("event", "error"):
        inner = data.get(holder)
        event_id = (inner.get("event_id") or inner.get("id")) if isinstance(inner, dict) else None
        if event_id:
            return f"sentry:{resource}:{action}:{event_id}{_alert_rule(data)}"
    return f"sentry:{resource}:{action}:{_digest(body)}"


def _alert_rule(data: dict[str, Any]) -> str:
    rule = data.get("triggered_rule")
    alert = data.get("issue_alert")
    if isinstance(alert, dict) and alert.get("id") is not None:
        rule = f"{rule or ''}#{alert['id']}"
    return f":{rule}" if rule else ""


def _digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:32]
