"""Changed loop and slice bounds."""

from tests.healing.search.helpers import code, swapped, variants

TAIL = code(
    """
    def last_lines(text, count):
        lines = text.splitlines()
        return lines[-count:-1]
    """
)


def test_a_slice_end_that_drops_the_last_item_is_removed() -> None:
    found = variants(TAIL, "return lines", "bound")
    assert swapped(TAIL, "lines[-count:-1]", "lines[-count:]") in found
    assert swapped(TAIL, "lines[-count:-1]", "lines[:-1]") in found


def test_a_slice_without_a_start_can_start_at_one() -> None:
    source = code(
        """
        def rows(table):
            return table[:]
        """
    )
    found = variants(source, "return table", "bound")
    assert swapped(source, "table[:]", "table[1:]") in found
    assert swapped(source, "table[:]", "table[:-1]") in found


RISES = code(
    """
    def rises(values):
        count = 0
        for index in range(len(values)):
            if values[index] > values[index - 1]:
                count += 1
        return count
    """
)


def test_range_can_start_at_one_or_run_backwards() -> None:
    found = variants(RISES, "for index in", "bound")
    assert swapped(RISES, "range(len(values))", "range(1, len(values))") in found
    assert swapped(RISES, "range(len(values))", "range(1, len(values) + 1)") in found
    assert swapped(RISES, "range(len(values))", "range(len(values) - 1, -1, -1)") in found


def test_range_with_a_start_can_start_at_zero() -> None:
    source = code(
        """
        def evens(limit):
            return [n for n in range(2, limit, 2)]
        """
    )
    found = variants(source, "return [n", "bound")
    assert swapped(source, "range(2, limit, 2)", "range(2, limit)") in found


def test_a_loop_can_skip_its_first_or_last_item() -> None:
    source = code(
        """
        def gaps(times):
            result = []
            for time in times:
                result.append(time)
            return result
        """
    )
    found = variants(source, "for time in", "bound")
    assert swapped(source, "for time in times:", "for time in times[1:]:") in found
    assert swapped(source, "for time in times:", "for time in times[:-1]:") in found


def test_enumerate_can_count_from_one() -> None:
    source = code(
        """
        def numbered(lines):
            return [f"{n}: {line}" for n, line in enumerate(lines)]
        """
    )
    found = variants(source, "return [f", "bound")
    assert swapped(source, "enumerate(lines)", "enumerate(lines, 1)") in found


def test_the_first_item_read_where_the_last_was_meant() -> None:
    source = code(
        """
        def latest(snapshots):
            return snapshots[0]
        """
    )
    assert variants(source, "return", "bound") == [swapped(source, "[0]", "[-1]")]


def test_the_last_item_read_where_the_first_was_meant() -> None:
    source = code(
        """
        def oldest(snapshots):
            return snapshots[-1]
        """
    )
    assert variants(source, "return", "bound") == [swapped(source, "[-1]", "[0]")]
