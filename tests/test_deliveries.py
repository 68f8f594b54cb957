"""What a delivery becomes: type, stream and the identity that de-duplicates it."""

from __future__ import annotations

import json

import pytest

from app.ingest.deliveries import (
    GitHubDelivery,
    MalformedDelivery,
    SentryDelivery,
    github_event,
    sentry_event,
)


def never_validated(name: str, payload: dict[str, object]) -> None:
    return None


def test_github_event_type_stream_and_key() -> None:
    body = json.dumps(
        {"action": "created", "installation": {"id": 7}, "repository": {"full_name": "o/r"}}
    ).encode()
    event = github_event(GitHubDelivery("issue_comment", "d-1", "h-1", body), never_validated)

    assert event.type == "github.issue_comment.created"
    assert event.stream == "github/o/r"
    assert event.idempotency_key == "github:d-1"
    assert event.metadata.installation_id == 7


def test_github_event_without_action_or_repository() -> None:
    body = b'{"zen": "Anything added dilutes everything else.", "hook_id": 1}'
    event = github_event(GitHubDelivery("ping", "d-2", None, body), never_validated)
    assert (event.type, event.stream) == ("github.ping", "github/app")


def test_sentry_error_is_keyed_by_its_event_id_not_the_request() -> None:
    payload = {"action": "created", "data": {"error": {"event_id": "abc"}}}
    first = sentry_event(SentryDelivery("error", "req-1", "1", json.dumps(payload).encode()))
    retry = sentry_event(
        SentryDelivery("error", "req-2", "2", json.dumps(payload, indent=1).encode())
    )
    assert first.idempotency_key == retry.idempotency_key == "sentry:error:created:abc"


def test_two_rules_firing_on_one_event_are_two_deliveries() -> None:
    def alert(rule: str) -> bytes:
        data = {"event": {"event_id": "e1"}, "triggered_rule": rule}
        return json.dumps({"action": "triggered", "data": data}).encode()

    one = sentry_event(SentryDelivery("event_alert", None, None, alert("rule a")))
    two = sentry_event(SentryDelivery("event_alert", None, None, alert("rule b")))
    assert one.idempotency_key != two.idempotency_key


def test_sentry_resource_without_event_id_is_keyed_by_content() -> None:
    resolved = b'{"action": "resolved", "data": {"issue": {"id": "1", "status": "resolved"}}}'
    again = sentry_event(SentryDelivery("issue", "r1", None, resolved))
    same = sentry_event(SentryDelivery("issue", "r2", None, resolved))
    other = sentry_event(SentryDelivery("issue", "r3", None, resolved.replace(b"1", b"2")))
    assert again.idempotency_key == same.idempotency_key != other.idempotency_key


def test_empty_sentry_body_is_stored_as_an_empty_payload() -> None:
    event = sentry_event(SentryDelivery("installation", None, None, b""))
    assert (event.type, event.payload) == ("sentry.installation", {})


@pytest.mark.parametrize(
    "body", [b"{", b"null", b'"text"', b'{"n": NaN}', b'{"s": "\xff"}', b'{"a": 1} trailing']
)
def test_malformed_bodies_are_refused_with_a_reason(body: bytes) -> None:
    with pytest.raises(MalformedDelivery):
        github_event(GitHubDelivery("push", "d", None, body), never_validated)
