"""`RecursionError`: the recursive call's arguments stepped otherwise."""

from app.healing.incidents.model import ExceptionInfo
from app.healing.templates.runaway_recursion import RunawayRecursion
from tests.healing.templates.helpers import edits_for

BEFORE = """\
def find(items, target, low=0, high=None):
    if high is None:
        high = len(items)
    if low >= high:
        return -1
    middle = (low + high) // 2
    if items[middle] < target:
        return find(items, target, middle, high)
    return find(items, target, low, middle)
"""


def test_the_step_past_the_middle_is_among_the_edits() -> None:
    edits = edits_for(
        RunawayRecursion(), BEFORE, 8, "RecursionError", "maximum recursion depth exceeded"
    )

    assert BEFORE.replace("target, middle, high", "target, middle + 1, high") in edits
    assert all(edit.count("\n") == BEFORE.count("\n") for edit in edits)


def test_only_recursion_errors_are_claimed() -> None:
    assert not RunawayRecursion().matches(ExceptionInfo("ValueError", "maximum"))
