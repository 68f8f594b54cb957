"""Swapped arguments, operands and indices."""

from tests.healing.search.helpers import code, swapped, variants


def test_adjacent_call_arguments_swap_first() -> None:
    source = code(
        """
        def transfer(bank, source, target, amount):
            return bank.move(source, target, amount)
        """
    )
    found = variants(source, "bank.move", "swap")
    assert found[0] == swapped(
        source, "move(source, target, amount)", "move(target, source, amount)"
    )
    assert swapped(source, "move(source, target, amount)", "move(amount, target, source)") in found


def test_keyword_arguments_stay_in_place() -> None:
    source = code(
        """
        def clamp(value, low, high):
            return max(low, min(value, high), key=abs)
        """
    )
    found = variants(source, "return", "swap")
    assert swapped(source, "min(value, high)", "min(high, value)") in found
    assert all("key=abs" in variant for variant in found)


def test_non_commutative_operands_swap() -> None:
    source = code(
        """
        def elapsed(start, end):
            return start - end
        """
    )
    assert swapped(source, "start - end", "end - start") in variants(source, "return", "swap")


def test_stacked_indices_swap() -> None:
    source = code(
        """
        def cell(grid, row, column):
            return grid[column][row]
        """
    )
    assert swapped(source, "grid[column][row]", "grid[row][column]") in variants(
        source, "return", "swap"
    )


def test_swapped_tuple_operand_keeps_its_parentheses() -> None:
    source = code(
        """
        def describe(line, margin):
            return "line = %r, margin = %r" % (line, margin)
        """
    )
    found = variants(source, "return", "swap")
    assert (
        swapped(
            source,
            '"line = %r, margin = %r" % (line, margin)',
            '(line, margin) % "line = %r, margin = %r"',
        )
        in found
    )
