"""The exact tests behind promotion and rollback."""

from __future__ import annotations

import pytest

from app.evolution.stats import (
    BetaPosterior,
    fisher_exact_lower,
    sign_test,
    wilcoxon_signed_rank,
)


def test_sign_test_needs_five_unanswered_wins_at_five_percent() -> None:
    assert sign_test(5, 0) == pytest.approx(1 / 32)
    assert sign_test(4, 0) == pytest.approx(1 / 16)
    assert sign_test(6, 1) == pytest.approx(8 / 128)  # not significant: 7 wins to 1 are
    assert sign_test(7, 1) == pytest.approx(9 / 256)
    assert sign_test(0, 0) == 1.0


def test_wilcoxon_is_exact_for_small_samples() -> None:
    assert wilcoxon_signed_rank([1, 2, 3, 4, 5]) == pytest.approx(1 / 32)
    # ranks 1,3,4,5 positive: W+ = 13; P(W+ ≥ 13) = 3/32
    assert wilcoxon_signed_rank([1, -2, 3, 4, 5]) == pytest.approx(3 / 32)
    assert wilcoxon_signed_rank([-1, -2, -3]) == pytest.approx(1.0)
    assert wilcoxon_signed_rank([0, 0]) == 1.0


def test_wilcoxon_gives_tied_magnitudes_their_mean_rank() -> None:
    # all four tied: each rank 2.5, all positive: only 1 of 16 sign patterns is as extreme
    assert wilcoxon_signed_rank([2, 2, 2, 2]) == pytest.approx(1 / 16)


def test_fisher_lower_tail_matches_the_hypergeometric() -> None:
    # 3/10 live against 6/6 in replay: C(9,3)C(7,7)/C(16,10) + ... = 0.01049
    assert fisher_exact_lower(3, 10, 6, 6) == pytest.approx(0.0104895, rel=1e-4)
    assert fisher_exact_lower(9, 10, 6, 6) > 0.5
    assert fisher_exact_lower(10, 10, 0, 10) == pytest.approx(1.0)


def test_merged_fixes_raise_a_strategy_prior_and_rejections_lower_it() -> None:
    prior = BetaPosterior()
    assert prior.mean == 0.5
    assert prior.observe(True).mean == pytest.approx(2 / 3)
    assert prior.observe(False).mean == pytest.approx(1 / 3)
