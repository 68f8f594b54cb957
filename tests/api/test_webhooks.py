"""Webhook ingestion: signatures first, clear errors, stored once, answered 202."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from app.events import Event, OutboxStatus
from app.ingest.signatures import github_signature
from tests.api.conftest import GITHUB_SECRET, Hooks
from tests.conftest import CORPUS
from workers.jobs import Router

GITHUB = CORPUS / "github-webhooks"
SENTRY = CORPUS / "sentry-webhooks"


def load(path: Path) -> bytes:
    return path.read_bytes()


def test_signature_matches_githubs_documented_test_vector() -> None:
    assert (
        github_signature(b"It's a Secret to Everybody", b"Hello, World!")
        == "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    )


async def test_signed_github_delivery_is_stored_with_an_outbox_row(hooks: Hooks) -> None:
    body = load(GITHUB / "issues" / "opened.payload.json")
    delivery = str(uuid.uuid4())

    response = await hooks.github("issues", body, delivery=delivery)

    assert response.status_code == 202
    event = await hooks.services.store.get(uuid.UUID(response.json()["event_id"]))
    assert event is not None
    assert event.type == "github.issues.opened"
    assert event.payload == json.loads(body)
    assert event.metadata.delivery_id == delivery
    assert event.stream == f"github/{event.payload['repository']['full_name']}"
    assert await hooks.services.store.outbox_get(event.id) is not None


async def test_redelivery_answers_200_and_stores_nothing_new(hooks: Hooks) -> None:
    body = load(GITHUB / "push" / "payload.json")
    first = await hooks.github("push", body, delivery="same-delivery")
    again = await hooks.github("push", body, delivery="same-delivery")

    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json() == {"event_id": first.json()["event_id"], "duplicate": True}
    assert await hooks.services.store.count() == 1


@pytest.mark.parametrize(
    ("headers", "secret"),
    [
        ({}, "wrong secret"),
        ({"X-Hub-Signature-256": ""}, GITHUB_SECRET),
        ({"X-Hub-Signature-256": "sha1=0123"}, GITHUB_SECRET),
    ],
    ids=["wrong-secret", "missing", "sha1-only"],
)
async def test_bad_github_signature_is_401_and_stores_nothing(
    hooks: Hooks, headers: dict[str, str], secret: str
) -> None:
    response = await hooks.github("ping", {"zen": "hi"}, secret=secret, headers=headers)

    assert response.status_code == 401
    assert await hooks.services.store.count() == 0


async def test_legacy_sha1_signature_alone_is_refused(hooks: Hooks) -> None:
    body = b'{"zen": "hi"}'
    response = await hooks.client.post(
        "/webhooks/github",
        content=body,
        headers={"X-GitHub-Event": "ping", "X-Hub-Signature": "sha1=whatever"},
    )
    assert response.status_code == 401


async def test_missing_event_header_is_400(hooks: Hooks) -> None:
    response = await hooks.github("ping", {"zen": "hi"}, headers={"X-GitHub-Event": ""})
    assert response.status_code == 400
    assert "X-GitHub-Event" in response.json()["detail"]
    assert await hooks.services.store.count() == 0


async def test_integers_beyond_64_bits_are_stored_exactly(hooks: Hooks) -> None:
    payload = json.loads(load(GITHUB / "issues" / "opened.payload.json"))
    payload["issue"]["body"] = "a 97-bit id follows"
    body = json.dumps({**payload, "custom": {"id": 123456789012345678901234567890}}).encode()

    response = await hooks.github("issues", body)

    assert response.status_code == 202
    event = await hooks.services.store.get(uuid.UUID(response.json()["event_id"]))
    assert event is not None and event.payload["custom"]["id"] == 123456789012345678901234567890
    assert event.payload == json.loads(body)


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", b"\xff\xfe"])
async def test_signed_body_that_is_not_a_json_object_is_400(hooks: Hooks, body: bytes) -> None:
    response = await hooks.github("issues", body)
    assert response.status_code == 400
    assert await hooks.services.store.count() == 0


async def test_body_over_the_limit_is_413(hooks: Hooks) -> None:
    limit = hooks.services.settings.max_webhook_bytes
    body = b'{"pad": "' + b"x" * limit + b'"}'

    response = await hooks.github("push", body)

    assert response.status_code == 413
    assert await hooks.services.store.count() == 0


async def test_payload_failing_githubkit_validation_is_stored_marked_unvalidated(
    hooks: Hooks,
) -> None:
    valid = await hooks.github("issues", load(GITHUB / "issues" / "opened.payload.json"))
    invalid = await hooks.github("issues", {"action": "opened", "issue": {"number": "x"}})
    unknown = await hooks.github("future_event", {"action": "happened"})

    flags = []
    for response in (valid, invalid, unknown):
        assert response.status_code == 202
        event = await hooks.services.store.get(uuid.UUID(response.json()["event_id"]))
        assert event is not None
        flags.append(event.metadata.validated)
    assert flags == [True, False, None]


async def test_sentry_delivery_is_verified_and_stored(hooks: Hooks) -> None:
    body = load(SENTRY / "error" / "docs-error.created.json")

    response = await hooks.sentry("error", body)
    rejected = await hooks.sentry("error", body, secret="other")
    unnamed = await hooks.sentry("error", body, headers={"Sentry-Hook-Resource": ""})

    assert (response.status_code, rejected.status_code, unnamed.status_code) == (202, 401, 400)
    event = await hooks.services.store.get(uuid.UUID(response.json()["event_id"]))
    assert event is not None
    assert event.type == "sentry.error.created"
    assert await hooks.services.store.count() == 1


async def test_sentry_retry_with_a_new_request_id_is_one_event(hooks: Hooks) -> None:
    body = load(SENTRY / "event_alert" / "docs-event_alert.triggered.json")

    first = await hooks.sentry("event_alert", body, headers={"Request-ID": "attempt-1"})
    retry = await hooks.sentry("event_alert", body, headers={"Request-ID": "attempt-2"})

    assert (first.status_code, retry.status_code) == (202, 200)
    assert retry.json()["event_id"] == first.json()["event_id"]
    assert await hooks.services.store.count() == 1


async def test_two_sentry_errors_with_different_event_ids_are_two_events(hooks: Hooks) -> None:
    payload = json.loads(load(SENTRY / "error" / "docs-error.created.json"))
    other = json.loads(json.dumps(payload))
    other["data"]["error"]["event_id"] = uuid.uuid4().hex

    assert (await hooks.sentry("error", payload)).status_code == 202
    assert (await hooks.sentry("error", other)).status_code == 202
    assert await hooks.services.store.count() == 2


async def test_stored_webhook_reaches_its_handler_once(hooks: Hooks, router: Router) -> None:
    handled: list[Event] = []

    async def handler(event: Event) -> None:
        handled.append(event)

    router.on("github.issue_comment.created", handler)
    body = load(GITHUB / "issue_comment" / "created.payload.json")
    response = await hooks.github("issue_comment", body, delivery="d-42")
    await hooks.github("issue_comment", body, delivery="d-42")
    await hooks.services.relay.relay_pending()
    await hooks.services.queue.join()  # type: ignore[attr-defined]

    assert [str(e.id) for e in handled] == [response.json()["event_id"]]
    entry = await hooks.services.store.outbox_get(handled[0].id)
    assert entry is not None and entry.status is OutboxStatus.DONE


async def test_health_and_readiness(hooks: Hooks) -> None:
    assert (await hooks.client.get("/healthz")).json() == {"status": "ok"}
    ready = await hooks.client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["database"] == "ok"
    assert (ready.json()["queue"], ready.json()["queue_backend"]) == ("ok", "in-process")


async def test_metrics_count_webhooks(hooks: Hooks) -> None:
    await hooks.github("ping", {"zen": "Keep it logically awesome."})
    text = (await hooks.client.get("/metrics")).text
    assert 'kintsugi_webhooks_total{provider="github",status="202",type="github.ping"}' in text
    assert 'kintsugi_events_stored{type="github.ping"} 1.0' in text
    assert "kintsugi_outbox_lag_seconds" in text
