"""Automatic rollback: the promoted variant's live fix rate against what justified it.

Rule: over the last `window` live cases (at least `min_cases`) healed under the active
variant, run a one-sided Fisher exact test of its live fix rate against (a) its own replay
record from the promotion evidence and (b) the previous variant's live record, when that has
`min_cases` cases. If either p < alpha, the variant is rolled back and the previous one
reactivated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from app.evolution.analysis import CaseRecord
from app.evolution.history import VariantHistory
from app.evolution.stats import fisher_exact_lower

WINDOW = 20
MIN_LIVE_CASES = 8


@dataclass(frozen=True)
class RollbackDecision:
    rollback: bool
    reason: str
    live_cases: int = 0
    live_fixed: int = 0
    compared_with: str | None = None
    baseline_cases: int = 0
    baseline_fixed: int = 0
    p_value: float | None = None

    def evidence(self) -> dict[str, Any]:
        return {
            "rule": "one-sided Fisher exact test of the live fix rate",
            "live_cases": self.live_cases,
            "live_fixed": self.live_fixed,
            "compared_with": self.compared_with,
            "baseline_cases": self.baseline_cases,
            "baseline_fixed": self.baseline_fixed,
            "p_value": None if self.p_value is None else round(self.p_value, 6),
        }


def check_rollback(
    history: VariantHistory,
    records: Sequence[CaseRecord],
    *,
    window: int = WINDOW,
    min_cases: int = MIN_LIVE_CASES,
    alpha: float = 0.05,
) -> RollbackDecision:
    """Whether the active variant's live results dropped significantly (module docstring)."""
    if not history.previous:
        return RollbackDecision(False, "nothing to roll back to")
    active, previous = history.active, history.previous[-1]
    live = [r for r in records if r.variant == active.id and r.position > history.active_since][
        -window:
    ]
    fixed = sum(r.fixed for r in live)
    if len(live) < min_cases:
        return RollbackDecision(False, "too few live cases yet", len(live), fixed)
    baselines: list[tuple[str, int, int]] = []
    replay = history.replay_records.get(active.id)
    if replay is not None:
        baselines.append(("replay", replay[0], replay[1]))
    before = [r for r in records if r.variant == previous.id][-window:]
    if len(before) >= min_cases:
        baselines.append((f"live {previous.id}", len(before), sum(r.fixed for r in before)))
    best: RollbackDecision | None = None
    for name, cases, base_fixed in baselines:
        p = fisher_exact_lower(fixed, len(live), base_fixed, cases)
        if best is None or p < (best.p_value or 1.0):
            best = RollbackDecision(p < alpha, "", len(live), fixed, name, cases, base_fixed, p)
    if best is None:
        return RollbackDecision(False, "no baseline to compare with", len(live), fixed)
    reason = (
        f"live fix rate {fixed}/{len(live)} is significantly below {best.compared_with} "
        f"{best.baseline_fixed}/{best.baseline_cases} (p={best.p_value:.4f})"
        if best.rollback
        else "live results hold up"
    )
    return RollbackDecision(
        best.rollback,
        reason,
        best.live_cases,
        best.live_fixed,
        best.compared_with,
        best.baseline_cases,
        best.baseline_fixed,
        best.p_value,
    )
