"""Replaced return values."""

from app.healing.search import returns
from tests.healing.search.helpers import code, own_edits, swapped, variants


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


def test_a_local_of_a_fitting_kind_is_returned_instead() -> None:
    source = code(
        """
        def mean(values):
            total = sum(values)
            average = total / len(values)
            label = "mean"
            return round(total, 2)
        """
    )
    found = own_edits(source, "return round", returns.edits)
    assert swapped(source, "return round(total, 2)", "return average") in found
    # Text is not a number's stand-in.
    assert swapped(source, "return round(total, 2)", "return label") not in found


def test_a_computed_result_that_is_dropped_is_returned() -> None:
    source = code(
        """
        def normalised(scores):
            best = max(scores)
            scaled = [score / best for score in scores]
        """
    )
    found = variants(source, "best = max", "return_value")
    assert found[0] == source + "    return scaled\n"


def test_a_function_that_returns_gets_no_extra_return() -> None:
    source = code(
        """
        def double(value):
            result = value * 2
            return result
        """
    )
    found = variants(source, "result = value", "return_value")
    assert not any(text.count("return result") > 1 for text in found)
