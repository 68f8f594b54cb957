"""Statements moved out of the loop they sit in."""

from tests.healing.search.helpers import code, variants


def test_a_return_indented_into_the_loop_moves_after_it() -> None:
    source = code(
        """
        def total(prices):
            result = 0
            for price in prices:
                result += price
                return result
        """
    )
    assert variants(source, "return", "hoist_statement") == [
        code(
            """
            def total(prices):
                result = 0
                for price in prices:
                    result += price
                return result
            """
        )
    ]


def test_a_return_under_a_condition_stays() -> None:
    source = code(
        """
        def first_even(numbers):
            for number in numbers:
                if number % 2 == 0:
                    return number
            return None
        """
    )
    assert variants(source, "return number", "hoist_statement") == []


def test_a_reset_inside_the_loop_moves_before_it_below_its_comment() -> None:
    source = code(
        """
        def totals(marks):
            result = {}
            for student, scores in marks.items():
                # Add up this student's marks.
                for score in scores:
                    total = 0
                    total += score
                result[student] = total
            return result
        """
    )
    assert variants(source, "total = 0", "hoist_statement") == [
        code(
            """
            def totals(marks):
                result = {}
                for student, scores in marks.items():
                    # Add up this student's marks.
                    total = 0
                    for score in scores:
                        total += score
                    result[student] = total
                return result
            """
        )
    ]


def test_a_list_grown_in_the_loop_counts_as_an_accumulator() -> None:
    source = code(
        """
        def evens(rows):
            for row in rows:
                found = []
                found.extend(n for n in row if n % 2 == 0)
            return found
        """
    )
    found = variants(source, "found = []", "hoist_statement")
    assert len(found) == 1 and "    found = []\n    for row in rows:\n" in found[0]


def test_a_fresh_value_per_item_is_not_a_reset() -> None:
    source = code(
        """
        def lengths(words):
            result = []
            for word in words:
                size = len(word)
                size += 1
                result.append(size)
            return result
        """
    )
    assert variants(source, "size = len", "hoist_statement") == []
