"""Swapped loop exits."""

from tests.healing.search.helpers import code, swapped, variants


def test_break_becomes_continue() -> None:
    source = code(
        """
        def numbers(lines):
            found = []
            for line in lines:
                if not line.isdigit():
                    break
                found.append(int(line))
            return found
        """
    )
    assert variants(source, "break", "loop_control") == [swapped(source, "break", "continue")]


def test_continue_on_a_one_line_suite_becomes_break() -> None:
    source = code(
        """
        def until_blank(lines):
            for line in lines:
                if line: continue
                return line
        """
    )
    assert variants(source, "continue", "loop_control") == [swapped(source, "continue", "break")]


def test_a_line_without_a_loop_exit_has_no_edit() -> None:
    source = code(
        """
        def first(lines):
            for line in lines:
                return line
        """
    )
    assert variants(source, "return", "loop_control") == []
