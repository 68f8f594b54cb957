"""The promotion rule: a challenger replaces the incumbent only when paired replay data says so.

Rule (alpha = 0.05 unless configured):

1. Pair the cases both variants ran. A *win* is a case only the challenger fixed, a *loss* one
   only the incumbent fixed. Promote when wins > losses and the one-sided exact McNemar (sign)
   test on the discordant pairs gives p < alpha — at least 5 wins and no loss, 7 wins to 1 loss, ….
2. Otherwise, if the challenger lost no case, compare time to fix on the cases both fixed:
   promote when a one-sided exact Wilcoxon signed-rank test on (incumbent - challenger) seconds
   gives p < alpha over at least 5 such cases, the median time falls by at least 20 % and
   the challenger validated fewer candidates on them (a speed-up with the same work is noise).
3. Anything else keeps the incumbent: equal, mixed or too little data is not a win.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

from app.evolution.replay import ReplayRun
from app.evolution.stats import sign_test, wilcoxon_signed_rank

ALPHA = 0.05
MIN_TIMED_PAIRS = 5
MIN_SPEEDUP = 0.2


@dataclass(frozen=True)
class PromotionDecision:
    """Whether the challenger wins, why, and the numbers that say so."""

    promote: bool
    reason: str
    cases: int
    wins: int
    losses: int
    p_fix: float
    timed_pairs: int = 0
    p_time: float | None = None
    median_speedup: float | None = None

    @property
    def p_value(self) -> float:
        """The p-value the decision rests on (the time test's when it decided)."""
        if self.reason == "faster" and self.p_time is not None:
            return self.p_time
        return self.p_fix

    def evidence(self) -> dict[str, Any]:
        return {
            "rule": "one-sided exact McNemar on fixes, then Wilcoxon signed-rank on time",
            "reason": self.reason,
            "cases": self.cases,
            "wins": self.wins,
            "losses": self.losses,
            "p_fix": round(self.p_fix, 6),
            "timed_pairs": self.timed_pairs,
            "p_time": None if self.p_time is None else round(self.p_time, 6),
            "median_speedup": None
            if self.median_speedup is None
            else round(self.median_speedup, 4),
        }


def decide(
    incumbent: ReplayRun, challenger: ReplayRun, *, alpha: float = ALPHA
) -> PromotionDecision:
    """Apply the promotion rule (see the module docstring) to two replays of the same cases."""
    shared = sorted(set(incumbent.outcomes) & set(challenger.outcomes))
    pairs = [(incumbent.outcomes[name], challenger.outcomes[name]) for name in shared]
    wins = sum(1 for old, new in pairs if new.fixed and not old.fixed)
    losses = sum(1 for old, new in pairs if old.fixed and not new.fixed)
    p_fix = sign_test(wins, losses)
    if wins > losses and p_fix < alpha:
        return PromotionDecision(True, "fixes more", len(pairs), wins, losses, p_fix)
    if losses > 0:
        return PromotionDecision(False, "fixes fewer or mixed", len(pairs), wins, losses, p_fix)
    both = [(old, new) for old, new in pairs if old.fixed and new.fixed]
    timed = [(old.seconds, new.seconds) for old, new in both]
    less_work = sum(new.candidates for _, new in both) < sum(old.candidates for old, _ in both)
    if len(timed) < MIN_TIMED_PAIRS:
        return PromotionDecision(
            False, "not enough evidence", len(pairs), wins, losses, p_fix, len(timed)
        )
    p_time = wilcoxon_signed_rank([old - new for old, new in timed])
    old_median = statistics.median(old for old, _ in timed)
    new_median = statistics.median(new for _, new in timed)
    speedup = 1 - new_median / old_median if old_median > 0 else 0.0
    faster = p_time < alpha and speedup >= MIN_SPEEDUP and less_work
    return PromotionDecision(
        faster,
        "faster" if faster else "no significant difference",
        len(pairs),
        wins,
        losses,
        p_fix,
        len(timed),
        p_time,
        speedup,
    )
