"""Healing cases, evolution history and function metrics as pure folds over events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from app.dashboard.projections import (
    percentile,
    project_evolution,
    project_function_metrics,
    project_healing_cases,
)
from app.events.model import Event

START = datetime(2025, 1, 1, tzinfo=UTC)


def events(*items: tuple[str, dict[str, Any]]) -> list[Event]:
    return [
        Event(type=kind, source="tests", payload=payload, occurred_at=START + timedelta(minutes=n))
        for n, (kind, payload) in enumerate(items)
    ]


def test_cases_group_by_case_id_and_take_status_from_the_latest_event() -> None:
    cases = project_healing_cases(
        events(
            ("healing.case_opened", {"case_id": "a", "incident": "ZeroDivisionError"}),
            ("healing.case_opened", {"case_id": "b", "incident": "KeyError", "source": "ci"}),
            ("healing.candidate_rejected", {"case_id": "a"}),
            ("healing.candidate_rejected", {"case_id": "a"}),
            ("healing.fix_not_found", {"case_id": "b"}),
            ("healing.fix_validated", {"case_id": "a", "confidence": 0.9, "evidence": {"x": 1}}),
            ("healing.pr_opened", {"case_id": "a", "pr_url": "https://github.com/o/r/pull/1"}),
            ("healing.pr_merged", {"case_id": "a", "pr_url": "https://github.com/o/r/pull/1"}),
            ("healing.case_opened", {"incident": "no case id: ignored"}),
            ("function.invoked", {"case_id": "a"}),
        )
    )
    assert [(c.case_id, c.status) for c in cases] == [("a", "merged"), ("b", "no fix found")]
    merged, not_found = cases
    assert merged.candidates_rejected == 2
    assert merged.confidence == 0.9
    assert merged.evidence == {"x": 1}
    assert merged.pr_urls == ("https://github.com/o/r/pull/1",)
    assert merged.opened_at == START
    assert merged.events == 6
    assert not_found.source == "ci"
    assert not_found.pr_urls == ()


def test_pr_links_are_only_web_addresses() -> None:
    (case,) = project_healing_cases(
        events(("healing.pr_opened", {"case_id": "c", "pr_url": "javascript:alert(1)"}))
    )
    assert case.pr_urls == ()
    assert case.status == "pull request open"


def test_evolution_history_is_latest_first_with_the_last_named_stage() -> None:
    history = project_evolution(
        events(
            ("evolution.variant_promoted", {"variant": "v1", "stage": "canary"}),
            ("evolution.variant_rolled_back", {"variant": "v1", "reason": "regressions"}),
            ("healing.case_opened", {"stage": "not evolution"}),
        )
    )
    assert history.stage == "canary"
    assert [step.kind for step in history.steps] == ["variant rolled back", "variant promoted"]
    assert ("reason", "regressions") in history.steps[0].details


def test_function_metrics_count_errors_and_percentiles_per_function_and_repository() -> None:
    durations = list(range(1, 101))  # 1..100 ms
    invoked = [
        ("function.invoked", {"function": "greet", "repository": "o/r", "duration_ms": d})
        for d in durations
    ]
    invoked += [
        ("function.invoked", {"function": "greet", "repository": "o/r", "status_code": 500}),
        ("function.invoked", {"function": "greet", "repository": "o/other", "error": "boom"}),
        ("function.invoked", {"function": "label", "execution_time_ms": 4.5}),
    ]
    metrics = project_function_metrics(events(*invoked))
    assert [(m.repository, m.function, m.invocations, m.errors) for m in metrics] == [
        (None, "label", 1, 0),
        ("o/other", "greet", 1, 1),
        ("o/r", "greet", 101, 1),
    ]
    label, other, greet = metrics
    assert (greet.p50_ms, greet.p99_ms) == (50.0, 99.0)
    assert (label.p50_ms, label.p99_ms) == (4.5, 4.5)
    assert other.p50_ms is None


def test_percentile_is_nearest_rank() -> None:
    assert percentile([], 50) is None
    assert percentile([7.0], 99) == 7.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 99) == 4.0
