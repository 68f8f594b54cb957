"""Measuring outcomes from the event log: pure folds from healing events to a typed report."""

from __future__ import annotations

import re
import statistics
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from app.events.model import Event, EventType
from app.evolution.corpus import ReferenceFix
from app.evolution.history import VariantHistory
from app.evolution.stats import BetaPosterior

LOCAL = "local"
_KIND = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*(?::|$)")


@dataclass
class CaseRecord:
    """One live healing case as the log tells it."""

    case_id: str
    repository: str
    exception_kind: str
    position: int
    variant: str
    fingerprint: str | None = None
    fixed: bool = False
    strategy: str | None = None
    location: str | None = None
    diff: str | None = None
    seconds_to_fix: float | None = None
    pull_request: str | None = None  # "open", "merged", "rejected" or "reverted"
    llm_cost_usd: float = 0.0


@dataclass(frozen=True)
class Rate:
    cases: int
    fixed: int

    @property
    def rate(self) -> float:
        return self.fixed / self.cases if self.cases else 0.0


@dataclass(frozen=True)
class OutcomeStats:
    """Fix rate, time to fix, pull-request acceptance and LLM cost over a set of cases."""

    cases: int
    fixed: int
    fixes_by_strategy: dict[str, int]
    by_exception: dict[str, Rate]
    median_seconds_to_fix: float | None
    prs_opened: int
    merged: int
    rejected: int
    llm_cost_usd: float
    reverted: int = 0

    @property
    def fix_rate(self) -> float:
        return self.fixed / self.cases if self.cases else 0.0

    @property
    def acceptance_rate(self) -> float | None:
        """Merged (and kept) of decided pull requests; None while none was decided."""
        decided = self.merged + self.rejected + self.reverted
        return self.merged / decided if decided else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "cases": self.cases,
            "fixed": self.fixed,
            "fix_rate": round(self.fix_rate, 4),
            "fixes_by_strategy": dict(self.fixes_by_strategy),
            "fix_rate_by_exception": {
                kind: {"cases": r.cases, "fixed": r.fixed, "fix_rate": round(r.rate, 4)}
                for kind, r in sorted(self.by_exception.items())
            },
            "median_seconds_to_fix": self.median_seconds_to_fix,
            "prs_opened": self.prs_opened,
            "merged": self.merged,
            "rejected": self.rejected,
            "reverted": self.reverted,
            "acceptance_rate": self.acceptance_rate,
            "llm_cost_usd": round(self.llm_cost_usd, 6),
        }


@dataclass(frozen=True)
class OutcomeReport:
    overall: OutcomeStats
    by_repository: dict[str, OutcomeStats]
    priors: dict[str, BetaPosterior]
    cases: tuple[CaseRecord, ...] = field(default=(), repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "overall": self.overall.to_dict(),
            "by_repository": {r: s.to_dict() for r, s in sorted(self.by_repository.items())},
            "strategy_priors": {
                name: {"merged": p.merged, "rejected": p.rejected, "mean": round(p.mean, 4)}
                for name, p in sorted(self.priors.items())
            },
        }


def exception_kind(summary: str) -> str:
    match = _KIND.match(summary)
    return match.group(1).rsplit(".", 1)[-1] if match else "other"


def case_records(events: Iterable[Event]) -> list[CaseRecord]:
    """Live cases in the order they opened, each credited to the variant active at the time
    (or the one its events name)."""
    history = VariantHistory()
    cases: dict[str, CaseRecord] = {}
    # Pull-request outcomes may name the pull request or the failure instead of the case.
    by_link: dict[str, str] = {}
    for event in sorted(events, key=lambda e: e.position or 0):
        history.apply(event)
        payload = event.payload
        case_id = payload.get("case_id")
        opened = event.type == EventType.HEALING_CASE_OPENED
        if not opened and (not isinstance(case_id, str) or case_id not in cases):
            links = (payload.get("pull_url"), payload.get("fingerprint"))
            case_id = next((by_link[k] for k in links if isinstance(k, str) and k in by_link), None)
        if opened and isinstance(case_id, str):
            cases[case_id] = CaseRecord(
                case_id=case_id,
                repository=str(payload.get("repository") or LOCAL),
                exception_kind=str(
                    payload.get("exception") or exception_kind(str(payload.get("incident", "")))
                ),
                position=event.position or 0,
                variant=str(payload.get("variant") or history.active.id),
                fingerprint=payload.get("fingerprint"),
            )
            if isinstance(payload.get("fingerprint"), str):
                by_link[payload["fingerprint"]] = case_id
            continue
        record = cases.get(case_id) if isinstance(case_id, str) else None
        if record is None:
            continue
        record.llm_cost_usd += _cost(payload)
        if event.type == EventType.HEALING_FIX_VALIDATED:
            record.fixed = True
            record.strategy = payload.get("strategy")
            record.location = payload.get("location")
            record.diff = payload.get("diff")
            seconds = payload.get("evidence", {}).get("seconds")
            record.seconds_to_fix = float(seconds) if isinstance(seconds, int | float) else None
        elif event.type == EventType.HEALING_PR_OPENED:
            record.pull_request = record.pull_request or "open"
            if isinstance(payload.get("pull_url"), str):
                by_link[payload["pull_url"]] = record.case_id
        elif event.type == EventType.HEALING_PR_MERGED:
            record.pull_request = "merged"
            record.strategy = payload.get("strategy") or record.strategy
        elif event.type == EventType.HEALING_PR_REJECTED:
            record.pull_request = "rejected"
            record.strategy = payload.get("strategy") or record.strategy
        elif event.type == EventType.HEALING_PR_REVERTED:
            record.pull_request = "reverted"  # merged, then undone: no longer a good fix
            record.strategy = payload.get("strategy") or record.strategy
    return list(cases.values())


def _cost(payload: dict[str, Any]) -> float:
    for key in ("llm_cost_usd", "cost_usd"):
        value = payload.get(key)
        if isinstance(value, int | float):
            return float(value)
    return 0.0


def outcome_stats(records: Iterable[CaseRecord]) -> OutcomeStats:
    records = list(records)
    by_strategy: dict[str, int] = defaultdict(int)
    by_exception: dict[str, list[bool]] = defaultdict(list)
    for record in records:
        by_exception[record.exception_kind].append(record.fixed)
        if record.fixed and record.strategy:
            by_strategy[record.strategy] += 1
    seconds = [r.seconds_to_fix for r in records if r.seconds_to_fix is not None]
    return OutcomeStats(
        cases=len(records),
        fixed=sum(r.fixed for r in records),
        fixes_by_strategy=dict(by_strategy),
        by_exception={k: Rate(len(v), sum(v)) for k, v in by_exception.items()},
        median_seconds_to_fix=round(statistics.median(seconds), 2) if seconds else None,
        prs_opened=sum(r.pull_request is not None for r in records),
        merged=sum(r.pull_request == "merged" for r in records),
        rejected=sum(r.pull_request == "rejected" for r in records),
        llm_cost_usd=sum(r.llm_cost_usd for r in records),
        reverted=sum(r.pull_request == "reverted" for r in records),
    )


def strategy_priors(records: Iterable[CaseRecord]) -> dict[str, BetaPosterior]:
    """Beta(1 + merged, 1 + closed unmerged or reverted) per strategy, from the pull requests'
    fates."""
    priors: dict[str, BetaPosterior] = {}
    for record in records:
        if record.strategy and record.pull_request in ("merged", "rejected", "reverted"):
            prior = priors.get(record.strategy, BetaPosterior())
            priors[record.strategy] = prior.observe(record.pull_request == "merged")
    return priors


def merged_references(records: Iterable[CaseRecord]) -> dict[str, ReferenceFix]:
    """Merged fixes by fingerprint: what a replayed fix of the same failure should agree with."""
    return {
        r.fingerprint: ReferenceFix(r.location, r.diff or "")
        for r in records
        if r.fingerprint and r.pull_request == "merged"
    }


def analyse(events: Iterable[Event]) -> OutcomeReport:
    """The report over the whole log: overall, per repository, and the strategy priors."""
    records = case_records(events)
    grouped: dict[str, list[CaseRecord]] = defaultdict(list)
    for record in records:
        grouped[record.repository].append(record)
    return OutcomeReport(
        overall=outcome_stats(records),
        by_repository={repo: outcome_stats(group) for repo, group in grouped.items()},
        priors=strategy_priors(records),
        cases=tuple(records),
    )
