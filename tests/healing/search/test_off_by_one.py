"""Off-by-one edits on integer expressions."""

from tests.healing.search.helpers import code, swapped, variants


def test_slice_bound_and_index_literals_shift_by_one() -> None:
    source = code(
        """
        def head(items, count):
            return items[:count], items[0]
        """
    )
    found = variants(source, "return", "off_by_one")
    assert swapped(source, "items[:count]", "items[:count + 1]") in found
    assert swapped(source, "items[:count]", "items[:count - 1]") in found
    assert swapped(source, "items[0]", "items[1]") in found


def test_range_arguments_shift() -> None:
    source = code(
        """
        def pages(total):
            return [page for page in range(1, total)]
        """
    )
    found = variants(source, "range", "off_by_one")
    assert swapped(source, "range(1, total)", "range(1, total + 1)") in found
    assert swapped(source, "range(1, total)", "range(0, total)") in found


def test_an_existing_adjustment_is_removed_or_shifted() -> None:
    source = code(
        """
        def last(items):
            return items[len(items) - 1]
        """
    )
    found = variants(source, "return", "off_by_one")
    assert swapped(source, "items[len(items) - 1]", "items[len(items)]") in found
    assert swapped(source, "len(items) - 1", "len(items) - 2") in found
    # The length inside an adjustment is not shifted again: `len(items) + 1 - 1` is noise.
    assert not any("len(items) + 1 - 1" in variant for variant in found)


def test_shifted_expression_is_parenthesised_where_precedence_demands() -> None:
    source = code(
        """
        def scaled(values, size):
            return values[size * 2]
        """
    )
    found = variants(source, "return", "off_by_one")
    assert swapped(source, "values[size * 2]", "values[size * 3]") in found
    for variant in found:
        compile(variant, "scaled.py", "exec")


def test_identity_comparisons_are_not_shifted() -> None:
    source = code(
        """
        def missing(value):
            return value is None
        """
    )
    assert variants(source, "return", "off_by_one") == []
