"""The exact tests behind promotion and rollback, and the Beta posterior of a strategy."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


def binomial_upper_tail(successes: int, trials: int, p: float = 0.5) -> float:
    """P(X ≥ successes) for X ~ Binomial(trials, p)."""
    return sum(
        math.comb(trials, k) * p**k * (1 - p) ** (trials - k)
        for k in range(max(successes, 0), trials + 1)
    )


def binomial_lower_tail(successes: int, trials: int, p: float) -> float:
    """P(X ≤ successes) for X ~ Binomial(trials, p)."""
    return sum(
        math.comb(trials, k) * p**k * (1 - p) ** (trials - k)
        for k in range(0, min(successes, trials) + 1)
    )


def sign_test(wins: int, losses: int) -> float:
    """One-sided exact McNemar (sign) test on discordant pairs: P(≥ wins of wins+losses | 1/2)."""
    if wins + losses == 0:
        return 1.0
    return binomial_upper_tail(wins, wins + losses)


def wilcoxon_signed_rank(differences: Sequence[float]) -> float:
    """One-sided exact Wilcoxon signed-rank p-value for H1: differences tend to be > 0.

    Zero differences are dropped; tied magnitudes share their mean rank. The null
    distribution is enumerated exactly (counts over half-ranks), fine for the few dozen
    pairs a replay produces."""
    nonzero = [d for d in differences if d != 0]
    n = len(nonzero)
    if n == 0:
        return 1.0
    order = sorted(range(n), key=lambda i: abs(nonzero[i]))
    ranks = [0.0] * n
    i = 0
    while i < n:
        j = i
        while j + 1 < n and abs(nonzero[order[j + 1]]) == abs(nonzero[order[i]]):
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2 + 1
        i = j + 1
    doubled = [round(2 * r) for r in ranks]  # mean ranks are multiples of 1/2
    observed = sum(d for d, diff in zip(doubled, nonzero, strict=True) if diff > 0)
    # counts[s] = number of sign assignments whose positive doubled-rank sum is s
    counts = [0] * (sum(doubled) + 1)
    counts[0] = 1
    for rank in doubled:
        for s in range(len(counts) - 1, rank - 1, -1):
            counts[s] += counts[s - rank]
    return float(sum(counts[observed:]) / 2**n)


@dataclass(frozen=True)
class BetaPosterior:
    """Acceptance of one strategy's pull requests: Beta(1 + merged, 1 + rejected)."""

    merged: int = 0
    rejected: int = 0

    @property
    def alpha(self) -> float:
        return 1.0 + self.merged

    @property
    def beta(self) -> float:
        return 1.0 + self.rejected

    @property
    def mean(self) -> float:
        return self.alpha / (self.alpha + self.beta)

    def observe(self, merged: bool) -> BetaPosterior:
        if merged:
            return BetaPosterior(self.merged + 1, self.rejected)
        return BetaPosterior(self.merged, self.rejected + 1)


def fisher_exact_lower(fixed: int, cases: int, other_fixed: int, other_cases: int) -> float:
    """One-sided Fisher exact test: P(a rate as low as fixed/cases | both samples share one).

    X ~ Hypergeometric(all cases, all fixed, `cases` drawn); returns P(X ≤ fixed)."""
    total, total_fixed = cases + other_cases, fixed + other_fixed
    denominator = math.comb(total, cases)
    low = max(0, total_fixed - other_cases)
    return float(
        sum(
            math.comb(total_fixed, x) * math.comb(total - total_fixed, cases - x)
            for x in range(low, fixed + 1)
        )
        / denominator
    )
