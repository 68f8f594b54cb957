"""The outcome report: fix rates, time to fix, PR acceptance and LLM cost from the log."""

from __future__ import annotations

import pytest

from app.evolution.analysis import analyse, case_records, exception_kind, merged_references
from tests.evolution.events import Log


def test_fix_rate_by_strategy_and_exception_kind_per_repository_and_overall() -> None:
    log = Log()
    log.case(fixed=True, strategy="template", seconds=2.0)
    log.case(fixed=True, strategy="search", seconds=6.0, exception="ZeroDivisionError: x")
    log.case(fixed=False, exception="ZeroDivisionError: y")
    log.case(fixed=True, repository="octo/blog", strategy="search", seconds=10.0)

    report = analyse(log.events)

    overall = report.overall
    assert (overall.cases, overall.fixed) == (4, 3)
    assert overall.fix_rate == pytest.approx(0.75)
    assert overall.fixes_by_strategy == {"template": 1, "search": 2}
    assert overall.by_exception["ZeroDivisionError"].rate == pytest.approx(0.5)
    assert overall.by_exception["KeyError"].rate == 1.0
    assert overall.median_seconds_to_fix == 6.0
    shop = report.by_repository["octo/shop"]
    assert (shop.cases, shop.fixed) == (3, 2)
    assert report.by_repository["octo/blog"].fixes_by_strategy == {"search": 1}


def test_without_pull_request_outcomes_acceptance_is_unknown_not_zero() -> None:
    log = Log()
    log.case(fixed=True, pull="open")

    report = analyse(log.events)

    assert report.overall.prs_opened == 1
    assert report.overall.acceptance_rate is None
    assert report.priors == {}
    assert report.to_dict()["overall"]["acceptance_rate"] is None


def test_acceptance_counts_merged_against_closed_unmerged() -> None:
    log = Log()
    log.case(fixed=True, pull="merged")
    log.case(fixed=True, pull="merged")
    log.case(fixed=True, pull="rejected", strategy="search")

    overall = analyse(log.events).overall

    assert (overall.merged, overall.rejected) == (2, 1)
    assert overall.acceptance_rate == pytest.approx(2 / 3)


def test_merged_fixes_raise_their_strategy_prior_and_closed_ones_lower_it() -> None:
    log = Log()
    log.case(fixed=True, strategy="template", pull="merged")  # linked by pull request URL
    log.case(fixed=True, strategy="template", pull="merged")
    log.case(fixed=True, strategy="search", pull="rejected")  # linked by case id

    priors = analyse(log.events).priors

    assert (priors["template"].merged, priors["template"].rejected) == (2, 0)
    assert (priors["search"].merged, priors["search"].rejected) == (0, 1)
    assert priors["template"].mean > 0.5 > priors["search"].mean


def test_a_reverted_fix_counts_against_acceptance_and_its_strategy() -> None:
    log = Log()
    log.case(fixed=True, strategy="template", pull="merged")
    log.case(fixed=True, strategy="template", pull="reverted")

    report = analyse(log.events)

    overall = report.overall
    assert (overall.merged, overall.rejected, overall.reverted) == (1, 0, 1)
    assert overall.acceptance_rate == pytest.approx(1 / 2)
    assert report.to_dict()["overall"]["reverted"] == 1
    assert (report.priors["template"].merged, report.priors["template"].rejected) == (1, 1)


def test_llm_cost_is_summed_from_payloads_that_carry_it() -> None:
    log = Log()
    log.case(fixed=True, cost=0.25)
    log.case(fixed=False, cost=0.5)
    log.case(fixed=True)

    assert analyse(log.events).overall.llm_cost_usd == pytest.approx(0.75)


def test_merged_fixes_become_references_by_fingerprint() -> None:
    log = Log()
    log.case(fixed=True, pull="merged")
    log.case(fixed=True, pull="rejected")

    references = merged_references(case_records(log.events))

    assert list(references) == ["fp0001"]
    assert references["fp0001"].location == "shop/orders.py:3"


def test_exception_kind_is_the_unqualified_type() -> None:
    assert exception_kind("json.decoder.JSONDecodeError: Expecting value") == "JSONDecodeError"
    assert exception_kind("KeyError") == "KeyError"
    assert exception_kind("2 tests failed") == "other"
