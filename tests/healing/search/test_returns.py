"""Replaced return values."""

from tests.healing.search.helpers import code, swapped, variants


def test_boolean_result_is_negated_and_none_offered() -> None:
    source = code(
        """
        def is_empty(queue):
            return queue.size() > 0
        """
    )
    found = variants(source, "return", "return_value")
    assert swapped(source, "return queue.size() > 0", "return not queue.size() > 0") in found
    assert swapped(source, "return queue.size() > 0", "return None") in found


def test_conditional_result_keeps_one_branch() -> None:
    source = code(
        """
        def label(count):
            return "item" if count == 1 else "items"
        """
    )
    found = variants(source, "return", "return_value")
    assert swapped(source, 'return "item" if count == 1 else "items"', 'return "items"') in found
    assert swapped(source, 'return "item" if count == 1 else "items"', 'return "item"') in found
