"""Reading incidents from real sentry-sdk events and Sentry webhook bodies."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.errors import PermanentError
from app.healing.incidents import UnreadableIncident, incident_from_sentry
from app.healing.incidents.redaction import REDACTED
from tests.conftest import CORPUS
from tests.healing.conftest import capture_sentry_event

SHARED = CORPUS / "sentry-webhooks"


def _webhooks() -> Path:
    return SHARED


def test_raw_event_gives_type_value_and_frames_caller_first(orders_repo: Path) -> None:
    event = capture_sentry_event(orders_repo / "trigger.py", orders_repo)

    incident = incident_from_sentry(event)

    assert incident.exception.type == "KeyError"
    assert incident.exception.value == "'qty'"
    functions = [frame.function for frame in incident.exception.frames]
    assert functions[-2:] == ["<genexpr>", "total"]
    crash = incident.exception.crash_frame
    assert crash is not None and crash.filename.endswith("shop/orders.py")
    assert (crash.context_line or "").strip() == 'return order["price"] * order["qty"]'


def test_secrets_in_frame_vars_are_redacted_on_parse(orders_repo: Path) -> None:
    event = capture_sentry_event(orders_repo / "trigger.py", orders_repo)

    incident = incident_from_sentry(event)

    crash = incident.exception.crash_frame
    assert crash is not None
    assert crash.vars["api_token"] == REDACTED
    assert crash.vars["order"] == {"price": "2"}
    assert "tok-123" not in json.dumps([f.vars for f in incident.exception.frames])


@pytest.mark.parametrize("key", ["event", "error"])
def test_webhook_bodies_are_unwrapped(orders_repo: Path, key: str) -> None:
    event = capture_sentry_event(orders_repo / "trigger.py", orders_repo)
    body = {"action": "created", "data": {key: event, "issue_id": "1"}, "installation": {}}

    assert incident_from_sentry(json.dumps(body)).exception.type == "KeyError"


def test_shared_corpus_alert_and_error_bodies_parse() -> None:
    alert = json.loads((_webhooks() / "event_alert/docs-event_alert.triggered.json").read_text())
    error = json.loads((_webhooks() / "error/docs-error.created.json").read_text())

    assert incident_from_sentry(alert).exception.type == "ReferenceError"
    assert incident_from_sentry(error).exception.value == "blooopy is not defined"


def test_chained_exceptions_keep_order_oldest_first() -> None:
    event = {
        "exception": {
            "values": [
                {"type": "KeyError", "value": "'a'", "stacktrace": {"frames": []}},
                {"type": "ValueError", "value": "bad", "module": "myapp.errors"},
            ]
        }
    }

    incident = incident_from_sentry(event)

    assert [e.type for e in incident.exceptions] == ["KeyError", "myapp.errors.ValueError"]
    assert incident.exception.short_type == "ValueError"


@pytest.mark.parametrize(
    ("payload", "says"),
    [
        ("not json at all", "not JSON"),
        ({"message": "hello"}, "no exception"),
        ({"data": {"issue": {}}}, "data.event or data.error"),
        ("[1, 2]", "not a JSON object"),
    ],
)
def test_bad_input_is_a_permanent_error_that_says_what_is_wrong(payload: object, says: str) -> None:
    with pytest.raises(UnreadableIncident, match=says) as caught:
        incident_from_sentry(payload)  # type: ignore[arg-type]  # bad input on purpose
    assert isinstance(caught.value, PermanentError)


def test_alert_without_exception_is_rejected() -> None:
    body = json.loads((_webhooks() / "event_alert/ipe-mock-event_alert.triggered.json").read_text())

    with pytest.raises(UnreadableIncident):
        incident_from_sentry(body)
