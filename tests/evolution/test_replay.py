"""Replays measure fix, time, and agreement with fixes maintainers merged for the same failure."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.environments.config import EnvironmentConfig
from app.environments.wiring import environment_cache
from app.evolution import ReplayCase, Replayer, default_variant
from app.evolution.corpus import ReferenceFix
from app.healing.candidate_search import Budget
from app.settings import get_settings
from functions.sandbox import Sandbox

pytestmark = pytest.mark.sandbox


async def test_agreement_compares_with_the_merged_fix_of_the_same_failure(
    fast_crashes: list[ReplayCase], case_budget: Budget
) -> None:
    key_error = [case for case in fast_crashes if case.name == "key_error"]
    first = (await Replayer(case_budget=case_budget).run(default_variant(), key_error)).outcomes
    outcome = first["key_error"]
    assert outcome.fixed and outcome.fingerprint and outcome.location
    assert outcome.agrees is None  # a crash case names no reference fix of its own

    same_place = {outcome.fingerprint: ReferenceFix(outcome.location, diff="")}
    elsewhere = {outcome.fingerprint: ReferenceFix("bank/other.py:1", diff="")}
    agreeing = Replayer(case_budget=case_budget, references=same_place)
    disagreeing = Replayer(case_budget=case_budget, references=elsewhere)

    assert (await agreeing.outcome(default_variant(), key_error[0])).agrees is True
    assert (await disagreeing.outcome(default_variant(), key_error[0])).agrees is False


async def test_an_incumbent_is_replayed_once_however_many_challengers_meet_it(
    fast_crashes: list[ReplayCase], case_budget: Budget
) -> None:
    replayer = Replayer(case_budget=case_budget)
    case = fast_crashes[0]

    first = await replayer.outcome(default_variant(), case)
    renamed = default_variant().model_copy(update={"id": "same-behaviour"})
    again = await replayer.outcome(renamed, case)

    assert again is first


async def test_a_case_with_a_dependency_replays_in_its_own_environment(
    tmp_path: Path, case_budget: Budget
) -> None:
    from tests.environments.test_heal_in_environment import pricing_repo

    case = ReplayCase("pricing", "logic", pricing_repo(tmp_path / "pricing"))
    settings = get_settings()
    environments = environment_cache(settings, Sandbox(allow_degraded=False))
    budget = Budget(seconds=120, parallel=case_budget.parallel, run_timeout=60)

    inside = await Replayer(case_budget=budget, environments=environments).outcome(
        default_variant(), case
    )
    outside = await Replayer(case_budget=budget).outcome(default_variant(), case)

    assert inside.fixed and inside.location == "pricing/orders.py:5", inside
    # On Kintsugi's own interpreter the dependency is missing: said, not "not fixed" alone.
    assert not outside.fixed
    assert outside.error is not None and "could not import inflection" in outside.error


async def test_a_recorded_checkouts_overrides_decide_its_replay_environment(
    tmp_path: Path, case_budget: Budget
) -> None:
    from tests.environments.test_heal_in_environment import pricing_repo

    root = pricing_repo(tmp_path / "pricing")
    environments = environment_cache(get_settings(), Sandbox(allow_degraded=False))
    replayer = Replayer(case_budget=case_budget, environments=environments)
    detected = ReplayCase("pricing", "logic", root)
    pinned = ReplayCase("pricing", "logic", root, environment=EnvironmentConfig(python="3.12"))

    async with replayer.tests_for(detected, root) as tests:
        assert tests.environment is not None
        detected_python = tests.environment.recipe.python
    async with replayer.tests_for(pinned, root) as tests:
        assert tests.environment is not None
        pinned_python = tests.environment.recipe.python

    assert pinned_python.version.startswith("3.12"), pinned_python
    assert pinned_python.version != detected_python.version
    assert pinned_python.source.detail == "environment.python"
