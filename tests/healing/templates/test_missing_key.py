"""Missing keys are read with `.get`, literal keys matching the error first."""

from app.healing.templates.missing_key import MissingKey
from tests.healing.templates.helpers import edits_for


def test_literal_key_in_arithmetic_defaults_to_zero_first() -> None:
    before = 'def total(order):\n    return order["price"] * order["qty"]\n'

    edits = edits_for(MissingKey(), before, 2, "KeyError", "'qty'")

    assert edits[0] == 'def total(order):\n    return order["price"] * order.get("qty", 0)\n'
    assert edits[1] == 'def total(order):\n    return order["price"] * order.get("qty")\n'
    assert all('order["price"]' in edit for edit in edits)


def test_variable_keys_are_candidates_and_assignment_targets_are_not() -> None:
    before = "def copy(src, dst, name):\n    dst[name] = src[name]\n"

    edits = edits_for(MissingKey(), before, 2, "KeyError", "'colour'")

    assert edits[0] == "def copy(src, dst, name):\n    dst[name] = src.get(name)\n"
