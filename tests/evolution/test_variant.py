"""Strategy variants: immutable, validated, serialisable, versioned by behaviour."""

from __future__ import annotations

import pydantic
import pytest

from app.evolution.variant import StrategyVariant, default_variant


def test_a_variant_round_trips_through_its_payload() -> None:
    variant = default_variant().derive(
        "search first", strategy_order=("search", "template"), strategy_budgets={"search": 20}
    )

    again = StrategyVariant.from_payload(variant.to_payload())

    assert again == variant
    assert again.behaviour_key == variant.behaviour_key


def test_derive_makes_the_next_version_named_by_its_behaviour() -> None:
    parent = default_variant()
    child = parent.derive("halve pairs", max_pairs=100)

    assert (child.version, child.parent) == (2, "v1")
    assert child.id == f"v2-{child.behaviour_key[:6]}"
    assert child.behaviour_key != parent.behaviour_key
    assert parent.max_pairs == 200  # the parent is untouched


def test_identity_does_not_change_behaviour() -> None:
    variant = default_variant()
    renamed = variant.model_copy(update={"id": "other", "note": "same thing", "version": 7})
    zero_offset = variant.derive("no-op offset", operator_offsets={"comparison": 0.0})

    assert renamed.behaviour_key == variant.behaviour_key
    assert zero_offset.behaviour_key == variant.behaviour_key


def test_variants_are_immutable() -> None:
    with pytest.raises(pydantic.ValidationError):
        default_variant().max_pairs = 3  # type: ignore[misc]  # the point of the test


@pytest.mark.parametrize(
    "changes",
    [
        {"strategy_order": ("template", "template")},
        {"strategy_order": ("magic",)},
        {"strategy_budgets": {"search": 0}},
        {"templates": ("no_such_template",)},
        {"operator_offsets": {"teleport": 1.0}},
        {"operator_offsets": {"comparison": 500.0}},
        {"max_pairs": -1},
    ],
)
def test_invalid_variants_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(pydantic.ValidationError):
        default_variant().derive("bad", **changes)
