"""Challengers: single small mutations of the incumbent, distinct and reproducible."""

from __future__ import annotations

import random

from app.evolution.generation import challengers, combine, restore_priorities, scale_budget
from app.evolution.stats import BetaPosterior
from app.evolution.variant import default_variant


def test_challengers_are_distinct_children_of_the_incumbent() -> None:
    incumbent = default_variant()

    found = challengers(incumbent, 5, seed=3)

    assert len(found) == 5
    keys = {variant.behaviour_key for variant in found}
    assert len(keys) == 5 and incumbent.behaviour_key not in keys
    assert all(v.parent == "v1" and v.version == 2 and v.note for v in found)


def test_the_same_seed_gives_the_same_challengers_and_another_seed_others() -> None:
    incumbent = default_variant()

    first = [v.behaviour_key for v in challengers(incumbent, 4, seed=11)]
    again = [v.behaviour_key for v in challengers(incumbent, 4, seed=11)]
    other = [v.behaviour_key for v in challengers(incumbent, 4, seed=12)]

    assert first == again
    assert first != other


def test_priors_from_merged_fixes_propose_their_strategy_order_first() -> None:
    incumbent = default_variant()  # template, search, llm
    priors = {"search": BetaPosterior(merged=6), "template": BetaPosterior(rejected=3)}

    first = challengers(incumbent, 3, seed=0, priors=priors)[0]

    assert first.strategy_order == ("search", "llm", "template")
    assert "priors" in first.note


def test_budgets_scale_by_four_and_a_large_budget_scaled_up_is_lifted() -> None:
    small = default_variant().derive("cap", strategy_budgets={"search": 4})
    large = default_variant().derive("cap", strategy_budgets={"search": 120})

    from_small = {
        v.strategy_budgets.get("search")
        for v in (scale_budget(small, random.Random(seed)) for seed in range(20))
        if v is not None
    }
    from_large = {
        v.strategy_budgets.get("search")
        for v in (scale_budget(large, random.Random(seed)) for seed in range(20))
        if v is not None
    }

    assert from_small == {16, 1}
    assert from_large == {None, 30}  # 480 would be no budget at all: lifted instead


def test_restoring_priorities_clears_every_offset() -> None:
    skewed = default_variant().derive("skew", operator_offsets={"comparison": 40.0})

    restored = restore_priorities(skewed, random.Random(0))

    assert restored is not None and restored.operator_offsets == {}
    assert restore_priorities(default_variant(), random.Random(0)) is None


def test_promising_steps_are_combined_into_one_challenger() -> None:
    incumbent = default_variant().derive(
        "poor", strategy_budgets={"search": 4}, operator_offsets={"comparison": 40.0}
    )
    raised = incumbent.derive("raise", strategy_budgets={"search": 16})
    restored = incumbent.derive("restore", operator_offsets={})
    reordered = incumbent.derive("reorder", strategy_order=("search", "template", "llm"))

    combined = combine(incumbent, [raised, restored, reordered])

    assert combined is not None
    assert combined.strategy_budgets == {"search": 16}
    assert combined.operator_offsets == {}
    assert combined.strategy_order == ("search", "template", "llm")
    assert combined.parent == incumbent.id and combined.note.startswith("combine: raise")
    assert challengers(incumbent, 3, promising=[raised, restored])[0].note.startswith("combine")


def test_one_promising_step_or_steps_of_another_incumbent_are_not_combined() -> None:
    incumbent = default_variant()
    other = default_variant().derive("elsewhere", max_pairs=10)
    step = incumbent.derive("one step", max_pairs=50)
    stranger = other.derive("child of another incumbent", search_max_locations=4)

    assert combine(incumbent, [step]) is None
    assert combine(incumbent, [step, stranger]) is None
