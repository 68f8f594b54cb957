"""What the dashboard shows of healing, evolution and functions, folded from the event log by
pure functions over events (so the same views can be rebuilt anywhere)."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.events.model import Event, EventType

HEALING_EVENT_TYPES = tuple(t.value for t in EventType if t.value.startswith("healing."))
EVOLUTION_EVENT_TYPES = tuple(t.value for t in EventType if t.value.startswith("evolution."))
FUNCTION_EVENT_TYPES = (EventType.FUNCTION_INVOKED.value,)

# A case's status is what its latest event says happened.
CASE_STATUS: dict[str, str] = {
    EventType.HEALING_CASE_OPENED: "open",
    EventType.HEALING_CANDIDATE_REJECTED: "searching",
    EventType.HEALING_FIX_VALIDATED: "fix validated",
    EventType.HEALING_FIX_NOT_FOUND: "no fix found",
    EventType.HEALING_PR_OPENED: "pull request open",
    EventType.HEALING_PR_MERGED: "merged",
    EventType.HEALING_PR_REJECTED: "pull request rejected",
    EventType.HEALING_PR_REVERTED: "reverted",
}


@dataclass(frozen=True)
class HealingCase:
    case_id: str
    status: str
    updated_at: datetime
    opened_at: datetime | None = None
    incident: str | None = None
    source: str | None = None
    fingerprint: str | None = None
    candidates_rejected: int = 0
    confidence: float | None = None
    root_cause: str | None = None
    evidence: dict[str, Any] | None = None
    pr_urls: tuple[str, ...] = ()
    events: int = 0


def project_healing_cases(events: Iterable[Event]) -> list[HealingCase]:
    """One `HealingCase` per `payload["case_id"]` of `healing.*` events, latest first."""
    grouped: dict[str, list[Event]] = defaultdict(list)
    for event in events:
        case_id = event.payload.get("case_id")
        if event.type.startswith("healing.") and isinstance(case_id, str):
            grouped[case_id].append(event)
    cases = [_case(case_id, history) for case_id, history in grouped.items()]
    return sorted(cases, key=lambda case: case.updated_at, reverse=True)


def _case(case_id: str, history: list[Event]) -> HealingCase:
    latest = history[-1]
    status = CASE_STATUS.get(latest.type) or latest.type.removeprefix("healing.").replace("_", " ")
    fields: dict[str, Any] = {}
    pr_urls: list[str] = []
    for event in history:
        payload = event.payload
        if event.type == EventType.HEALING_CASE_OPENED:
            fields["opened_at"] = event.occurred_at
            fields["incident"] = _text(payload.get("incident"))
            fields["source"] = _text(payload.get("source"))
        if isinstance(payload.get("fingerprint"), str):
            fields["fingerprint"] = payload["fingerprint"]
        if event.type == EventType.HEALING_FIX_VALIDATED:
            fields["confidence"] = _number(payload.get("confidence"))
            fields["root_cause"] = _text(payload.get("root_cause"))
            evidence = payload.get("evidence")
            fields["evidence"] = evidence if isinstance(evidence, dict) else None
        url = payload.get("pr_url")
        if isinstance(url, str) and url.startswith(("https://", "http://")) and url not in pr_urls:
            pr_urls.append(url)
    rejected = sum(1 for e in history if e.type == EventType.HEALING_CANDIDATE_REJECTED)
    return HealingCase(
        case_id=case_id,
        status=status,
        updated_at=latest.occurred_at,
        candidates_rejected=rejected,
        pr_urls=tuple(pr_urls),
        events=len(history),
        **fields,
    )


@dataclass(frozen=True)
class EvolutionStep:
    at: datetime
    kind: str
    details: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class EvolutionHistory:
    stage: str | None
    steps: tuple[EvolutionStep, ...]  # latest first


def project_evolution(events: Iterable[Event]) -> EvolutionHistory:
    """The `evolution.*` events as a history, and the stage the latest one that names one set."""
    steps: list[EvolutionStep] = []
    stage: str | None = None
    for event in events:
        if not event.type.startswith("evolution."):
            continue
        details = tuple(
            (key, str(value))
            for key, value in event.payload.items()
            if isinstance(value, str | int | float | bool) and value is not None
        )
        if isinstance(event.payload.get("stage"), str):
            stage = event.payload["stage"]
        kind = event.type.removeprefix("evolution.").replace("_", " ")
        steps.append(EvolutionStep(event.occurred_at, kind, details))
    return EvolutionHistory(stage, tuple(reversed(steps)))


@dataclass(frozen=True)
class FunctionMetrics:
    function: str
    repository: str | None
    invocations: int
    errors: int
    p50_ms: float | None
    p99_ms: float | None
    last_invoked_at: datetime


def project_function_metrics(events: Iterable[Event]) -> list[FunctionMetrics]:
    """Invocations, errors and p50/p99 duration per function (and repository) from
    `function.invoked` events. An invocation failed if it reports an error or a 5xx status."""
    grouped: dict[tuple[str | None, str], list[Event]] = defaultdict(list)
    for event in events:
        name = event.payload.get("function")
        if event.type == EventType.FUNCTION_INVOKED and isinstance(name, str):
            grouped[(_text(event.payload.get("repository")), name)].append(event)
    metrics = []
    for (repository, name), invocations in grouped.items():
        durations = sorted(d for d in map(_duration_ms, invocations) if d is not None)
        metrics.append(
            FunctionMetrics(
                function=name,
                repository=repository,
                invocations=len(invocations),
                errors=sum(1 for event in invocations if _failed(event.payload)),
                p50_ms=percentile(durations, 50),
                p99_ms=percentile(durations, 99),
                last_invoked_at=max(event.occurred_at for event in invocations),
            )
        )
    return sorted(metrics, key=lambda m: (m.repository or "", m.function))


def percentile(ordered: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile of ascending `ordered` values; None when there are none."""
    if not ordered:
        return None
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def _duration_ms(event: Event) -> float | None:
    for key in ("duration_ms", "execution_time_ms"):
        value = _number(event.payload.get(key))
        if value is not None:
            return value
    return None


def _failed(payload: dict[str, Any]) -> bool:
    status = payload.get("status_code")
    return bool(payload.get("error")) or (isinstance(status, int) and status >= 500)


def _number(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
