"""Reading what the automatic sources react to from real webhook payloads."""

from __future__ import annotations

import copy
import json
from typing import Any

from app.events import Event, EventMetadata, EventType
from app.github.ci_source import ci_failure
from app.github.fix_pr import CHECK_NAME
from app.github.sentry_source import sentry_project_keys
from tests.conftest import CORPUS

APP_ID = 4242


def corpus(path: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((CORPUS / path).read_text())
    return copy.deepcopy(loaded)


def webhook(kind: str, payload: dict[str, Any]) -> Event:
    return Event(
        type=kind, source="github", payload=payload, metadata=EventMetadata(installation_id=1)
    )


def failed_check_run() -> dict[str, Any]:
    payload = corpus("github-webhooks/check_run/completed.payload.json")
    payload["check_run"]["conclusion"] = "failure"
    return payload


def test_a_failed_check_run_names_its_branch_and_commit() -> None:
    failure = ci_failure(webhook(EventType.GITHUB_CHECK_RUN_COMPLETED, failed_check_run()), APP_ID)
    assert failure is not None
    assert failure.repository == "Codertocat/Hello-World"
    assert failure.branch == "changes"
    assert failure.head_sha == "ec26c3e57ca3a959ca5aad62de7213c562f8c821"


def test_successes_kintsugis_own_checks_and_fix_branches_are_not_failures() -> None:
    passed = corpus("github-webhooks/check_run/completed.payload.json")
    assert passed["check_run"]["conclusion"] == "success"
    own = failed_check_run()
    own["check_run"]["app"]["id"] = APP_ID
    named = failed_check_run()
    named["check_run"]["name"] = CHECK_NAME
    on_fix = failed_check_run()
    on_fix["check_run"]["check_suite"]["head_branch"] = "kintsugi/fix-abc"
    for payload in (passed, own, named, on_fix):
        assert ci_failure(webhook(EventType.GITHUB_CHECK_RUN_COMPLETED, payload), APP_ID) is None


def test_a_failed_workflow_run_counts_unless_it_ran_on_a_fork() -> None:
    payload = corpus("github-webhooks/workflow_run/completed.payload.json")
    payload["workflow_run"]["conclusion"] = "failure"
    failure = ci_failure(webhook(EventType.GITHUB_WORKFLOW_RUN_COMPLETED, payload), APP_ID)
    assert failure is not None and failure.head_sha == payload["workflow_run"]["head_sha"]
    payload["workflow_run"]["head_repository"]["full_name"] = "mallory/fork"
    assert ci_failure(webhook(EventType.GITHUB_WORKFLOW_RUN_COMPLETED, payload), APP_ID) is None


def test_a_sentry_project_is_known_by_its_id_and_by_the_slug_in_the_event_url() -> None:
    alert = corpus("sentry-webhooks/event_alert/docs-event_alert.triggered.json")
    assert sentry_project_keys(alert) == {"1", "front-end"}
    error = corpus("sentry-webhooks/error/docs-error.created.json")
    assert sentry_project_keys(error) == {"1", "front-end"}
    assert sentry_project_keys({"data": {}}) == set()
