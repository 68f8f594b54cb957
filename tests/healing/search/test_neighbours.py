"""Statements inserted or removed, modelled on their neighbours."""

from tests.healing.search.helpers import code, swapped, variants, wide_variants

TOTALS = code(
    """
    def running_totals(values):
        totals = []
        total = 0
        index = 0
        while index < len(values):
            total += values[index]
            totals.append(total)
        return totals
    """
)


def test_a_while_loop_gets_the_step_its_condition_waits_for() -> None:
    found = wide_variants(TOTALS, "totals.append(total)", "insert_statement")
    fixed = swapped(
        TOTALS,
        "        totals.append(total)\n",
        "        totals.append(total)\n        index += 1\n",
    )
    assert fixed in found
    # `values` is read through a call, `index` directly: only names the body never changes step.
    assert not any("values += 1" in source for source in found)


def test_a_loop_that_changes_its_variable_gets_no_step() -> None:
    source = swapped(
        TOTALS,
        "        totals.append(total)\n",
        "        totals.append(total)\n        index += 2\n",
    )
    found = wide_variants(source, "totals.append(total)", "insert_statement")
    assert not any("index += 1" in text for text in found)


def test_a_neighbouring_statement_is_copied_before_and_after() -> None:
    source = code(
        """
        def scale(point, factor):
            x = point.x * factor
            y = point.y * factor
            return (x, y)
        """
    )
    found = wide_variants(source, "y = point.y", "insert_statement")
    before = swapped(source, "    y = point.y", "    x = point.x * factor\n    y = point.y")
    assert before in found


def test_the_statement_before_can_be_removed() -> None:
    source = code(
        """
        def cleaned(rows):
            rows = list(rows)
            rows.pop(0)
            return rows
        """
    )
    found = wide_variants(source, "return rows", "remove_statement")
    assert swapped(source, "    rows.pop(0)\n", "") in found


def test_a_loop_that_cannot_end_gets_its_step_in_the_first_pass() -> None:
    fixed = swapped(
        TOTALS,
        "        totals.append(total)\n",
        "        totals.append(total)\n        index += 1\n",
    )
    assert variants(TOTALS, "total += values", "insert_statement")[0] == fixed


def test_a_loop_left_by_break_waits_for_the_later_ring() -> None:
    source = swapped(
        TOTALS, "        totals.append(total)\n", "        totals.append(total)\n        break\n"
    )
    assert variants(source, "total += values", "insert_statement") == []
