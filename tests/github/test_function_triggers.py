"""Which GitHub events trigger which declared functions, and where their actions may land."""

from __future__ import annotations

from app.github.function_triggers import target_number, trigger_of, triggered_by
from functions.config import FunctionSpec


def spec(*on: str) -> FunctionSpec:
    return FunctionSpec(name="triage", file="t.py", on=on)


def test_a_trigger_names_the_event_and_action_or_the_whole_event() -> None:
    assert trigger_of("github.issues.opened") == "issues.opened"
    assert trigger_of("sentry.error.created") is None
    assert triggered_by(spec("issues.opened"), "issues.opened")
    assert not triggered_by(spec("issues.opened"), "issues.closed")
    assert triggered_by(spec("pull_request"), "pull_request.synchronize")
    assert not triggered_by(spec(), "issues.opened")


def test_actions_land_only_on_the_issue_or_pull_request_of_the_event() -> None:
    assert target_number({"issue": {"number": 3}, "pull_request": {"number": 4}}) == 3
    assert target_number({"pull_request": {"number": 4}}) == 4
    assert target_number({"ref": "refs/heads/main"}) is None
