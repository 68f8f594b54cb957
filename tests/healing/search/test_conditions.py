"""Negated, reshaped and extended conditions."""

from tests.healing.search.helpers import code, swapped, variants

SOURCE = code(
    """
    def visible(post, viewer):
        if post.published and viewer.active:
            return True
        return False
    """
)


def test_compound_condition_is_negated_with_parentheses() -> None:
    found = variants(SOURCE, "if post", "negate_condition")
    assert found[0] == swapped(
        SOURCE,
        "if post.published and viewer.active:",
        "if not (post.published and viewer.active):",
    )


def test_each_clause_of_a_compound_condition_is_negated_alone() -> None:
    found = variants(SOURCE, "if post", "negate_condition")
    assert swapped(SOURCE, "and viewer.active", "and not viewer.active") in found
    assert swapped(SOURCE, "if post.published", "if not post.published") in found


def test_and_becomes_or_and_each_clause_may_stand_alone() -> None:
    assert swapped(SOURCE, "published and viewer", "published or viewer") in variants(
        SOURCE, "if post", "boolean_operator"
    )
    dropped = variants(SOURCE, "if post", "drop_condition")
    assert swapped(SOURCE, "post.published and viewer.active", "post.published") in dropped
    assert swapped(SOURCE, "post.published and viewer.active", "viewer.active") in dropped


def test_negation_of_a_negation_unwraps() -> None:
    source = code(
        """
        def pending(order):
            while not order.done:
                order.step()
        """
    )
    assert variants(source, "while", "negate_condition") == [
        swapped(source, "while not order.done:", "while order.done:")
    ]


def test_condition_is_extended_with_a_none_check() -> None:
    source = code(
        """
        def discount(customer, total):
            if customer.tier > 2:
                return total * 0.9
            return total
        """
    )
    found = variants(source, "if customer", "extend_condition")
    assert (
        swapped(source, "if customer.tier > 2:", "if customer is not None and customer.tier > 2:")
        in found
    )
    assert (
        swapped(source, "if customer.tier > 2:", "if customer.tier > 2 or customer is None:")
        in found
    )


def test_elif_condition_is_edited_in_place() -> None:
    source = code(
        """
        def grade(score):
            if score >= 90:
                return "A"
            elif score >= 80:
                return "B"
            return "C"
        """
    )
    found = variants(source, "elif", "comparison")
    assert found[0] == swapped(source, "elif score >= 80:", "elif score > 80:")
    assert all("if score >= 90:" in variant for variant in found)
