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
