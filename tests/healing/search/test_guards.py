"""Missing guards before the suspicious statement."""

from tests.healing.search.helpers import code, variants


def test_none_guard_returns_the_annotated_empty_value() -> None:
    source = code(
        """
        def word_count(document) -> int:
            # Count words in the body.
            return len(document.body.split())
        """
    )
    found = variants(source, "return len", "guard")
    expected = code(
        """
        def word_count(document) -> int:
            # Count words in the body.
            if document.body is None:
                return 0
            return len(document.body.split())
        """
    )
    assert expected in found


def test_inside_a_loop_the_guard_skips_the_item_first() -> None:
    source = code(
        """
        def totals(orders):
            result = []
            for order in orders:
                result.append(order.total)
            return result
        """
    )
    found = variants(source, "result.append", "guard")
    assert found[0] == code(
        """
        def totals(orders):
            result = []
            for order in orders:
                if order is None:
                    continue
                result.append(order.total)
            return result
        """
    )


def test_module_level_statements_get_no_guard() -> None:
    source = code(
        """
        import os

        HOME = os.environ.get("HOME").rstrip("/")
        """
    )
    assert variants(source, "HOME", "guard") == []


def test_the_guard_returns_nothing_of_the_kind_the_function_returns() -> None:
    source = code(
        """
        def first_word(text):
            words = text.split()
            return words[0].capitalize()
        """
    )
    found = variants(source, "return words", "guard")
    expected = code(
        """
        def first_word(text):
            words = text.split()
            if not words:
                return ""
            return words[0].capitalize()
        """
    )
    assert expected in found
    # Without an annotation or another return, "nothing" was None; the observed kind comes first.
    assert found.index(expected) < found.index(expected.replace('return ""', "return None"))


def test_an_empty_input_is_guarded_at_the_function_entry() -> None:
    source = code(
        """
        def average(values):
            '''The mean of the values.'''
            total = sum(values)
            return total / len(values)
        """
    )
    found = variants(source, "return total /", "guard")
    expected = code(
        """
        def average(values):
            '''The mean of the values.'''
            if not values:
                return 0.0
            total = sum(values)
            return total / len(values)
        """
    )
    assert expected in found
