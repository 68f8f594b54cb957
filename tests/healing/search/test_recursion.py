"""A changed argument of a recursive call."""

from app.healing.search import recursion
from tests.healing.search.helpers import code, own_edits, swapped, variants

FIND = code(
    """
    def find(items, target, low=0, high=None):
        if high is None:
            high = len(items)
        if low >= high:
            return -1
        middle = (low + high) // 2
        if items[middle] < target:
            return find(items, target, middle, high)
        return find(items, target, low, middle)
    """
)


def test_the_step_past_the_middle_is_proposed() -> None:
    found = variants(FIND, "find(items, target, middle, high)", "recursive_argument")
    assert swapped(FIND, "target, middle, high", "target, middle + 1, high") in found
    assert swapped(FIND, "target, middle, high", "target, middle - 1, high") in found


def test_the_parameter_passed_on_unchanged_is_proposed() -> None:
    found = own_edits(FIND, "find(items, target, middle, high)", recursion.edits)
    assert swapped(FIND, "target, middle, high", "target, low, high") in found


def test_a_step_that_goes_the_wrong_way_is_flipped() -> None:
    source = code(
        """
        def factorial(n):
            if n == 0:
                return 1
            return n * factorial(n + 1)
        """
    )
    found = own_edits(source, "return n *", recursion.edits)
    assert swapped(source, "factorial(n + 1)", "factorial(n - 1)") in found


def test_a_sequence_argument_is_shortened() -> None:
    source = code(
        """
        def total(values: list) -> int:
            if not values:
                return 0
            return values[0] + total(values)
        """
    )
    found = variants(source, "return values[0]", "recursive_argument")
    assert swapped(source, "total(values)", "total(values[1:])") in found


def test_calls_of_other_functions_are_left_alone() -> None:
    source = code(
        """
        def outer(n):
            return inner(n)
        """
    )
    assert variants(source, "return inner", "recursive_argument") == []
