"""Comparison replacement."""

from tests.healing.search.helpers import code, swapped, variants

SOURCE = code(
    """
    def is_adult(person, majority=18):
        return person.age > majority
    """
)


def test_boundary_is_the_first_comparison_tried() -> None:
    found = variants(SOURCE, "person.age >", "comparison")
    assert found[0] == swapped(SOURCE, "person.age > majority", "person.age >= majority")


def test_inverse_and_other_orderings_are_offered() -> None:
    found = variants(SOURCE, "person.age >", "comparison")
    for operator in ("<=", "<", "!=", "=="):
        assert swapped(SOURCE, "> majority", f"{operator} majority") in found


def test_identity_and_membership_flip_to_their_negations() -> None:
    source = code(
        """
        def find(user, banned):
            if user.name in banned or user.token is None:
                return None
            return user
        """
    )
    found = variants(source, "in banned", "comparison")
    assert swapped(source, "in banned", "not in banned") in found
    assert swapped(source, "is None", "is not None") in found


def test_odd_spacing_around_the_operator_is_kept() -> None:
    source = code(
        """
        def small(n):
            return n  <  10
        """
    )
    assert swapped(source, "n  <  10", "n  <=  10") in variants(source, "return", "comparison")


def test_identity_between_two_values_becomes_equality_early() -> None:
    source = code(
        """
        def find(items, sku):
            for item in items:
                if item.sku is sku:
                    return item
        """
    )
    found = variants(source, "item.sku is", "comparison")
    assert found[0] == swapped(source, "is sku", "== sku")


def test_identity_against_none_flips_to_its_negation_first() -> None:
    source = code(
        """
        def present(value):
            return value is None
        """
    )
    found = variants(source, "return", "comparison")
    assert found[0] == swapped(source, "is None", "is not None")
    assert swapped(source, "is None", "== None") in found
