"""End to end: an incident in a real repository becomes a validated fix, run in the sandbox."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.events.model import Event, EventType
from app.healing.candidate_search import Budget
from app.healing.candidates import Candidate, RepairContext, TemplateStrategy
from app.healing.incidents import incident_from_sentry, incident_from_traceback
from app.healing.pipeline import Healer
from app.healing.runner import SandboxCommandRunner
from tests.healing.conftest import KINTSUGI_TESTS, capture_sentry_event

pytestmark = pytest.mark.sandbox


@pytest.fixture(scope="module")
def runner() -> SandboxCommandRunner:
    return SandboxCommandRunner()


async def test_sentry_crash_is_reproduced_fixed_and_audited(
    orders_repo: Path, runner: SandboxCommandRunner
) -> None:
    incident = incident_from_sentry(capture_sentry_event(orders_repo / "trigger.py", orders_repo))
    events: list[Event] = []

    result = await Healer(runner, [TemplateStrategy()], publish=events.append).heal(
        orders_repo, incident, tests=KINTSUGI_TESTS
    )

    fix = result.fix
    assert fix is not None and result.reproduced
    assert '+    return order["price"] * order.get("qty", 0)' in fix.diff
    assert fix.files == ("shop/orders.py",)
    assert fix.evidence.before == {"passed": 1, "failed": 1, "total": 2}
    assert fix.evidence.after == {"passed": 2, "failed": 0, "total": 2}
    assert fix.confidence >= 0.75
    assert "tok-123" not in str(fix.to_dict())
    [regression] = fix.new_tests
    assert "total({'price': 2}, 'redacted')" in fix.new_tests[regression]
    assert events[0].type == EventType.HEALING_CASE_OPENED
    # The recorded case carries its whole incident, so it can be replayed from the log alone.
    recorded = events[0].payload["incident_data"]
    assert recorded["exceptions"][-1]["type"] == incident.exception.type
    assert recorded["exceptions"][-1]["frames"][-1]["function"] == "total"
    assert "tok-123" not in json.dumps(events[0].payload)
    assert events[-1].type == EventType.HEALING_FIX_VALIDATED
    assert events[-1].payload["id"] == fix.id
    assert {event.payload["case_id"] for event in events} == {result.case_id}
    # The working tree is untouched: validation ran on copies.
    assert 'order["qty"]' in (orders_repo / "shop/orders.py").read_text()


async def test_text_traceback_cannot_be_reproduced_so_confidence_stays_low(
    orders_repo: Path, runner: SandboxCommandRunner
) -> None:
    text = (
        "Traceback (most recent call last):\n"
        '  File "/srv/app/shop/orders.py", line 2, in total\n'
        '    return order["price"] * order["qty"]\n'
        "KeyError: 'qty'\n"
    )

    result = await Healer(runner, [TemplateStrategy()]).heal(
        orders_repo, incident_from_traceback(text), tests=KINTSUGI_TESTS
    )

    assert result.fix is not None and not result.reproduced
    assert result.fix.confidence < 0.4


class _EditsTests:
    name = "rogue"

    async def propose(self, context: RepairContext):  # type: ignore[no-untyped-def]
        yield Candidate("rogue", "weaken", "delete the test", {"tests/test_orders.py": ""})
        yield Candidate("rogue", "escape", "write elsewhere", {"../outside.py": "x = 1\n"})


async def test_candidates_touching_tests_or_outside_the_repository_are_rejected_untried(
    orders_repo: Path, runner: SandboxCommandRunner
) -> None:
    incident = incident_from_sentry(capture_sentry_event(orders_repo / "trigger.py", orders_repo))
    events: list[Event] = []

    result = await Healer(
        runner, [_EditsTests()], publish=events.append, budget=Budget(seconds=60)
    ).heal(orders_repo, incident, tests=KINTSUGI_TESTS)

    assert result.fix is None and result.candidates_tried == 0
    reasons = [reason for _, reason in result.rejections]
    assert "tests/test_orders.py is a test file: fixes never edit tests" in reasons
    assert "../outside.py is outside the repository" in reasons
    assert events[-1].type == EventType.HEALING_FIX_NOT_FOUND
