"""Empty collections: indexing, division by a length, max()/min() of nothing."""

from app.healing.templates.empty_collection import EmptyCollection
from tests.healing.templates.helpers import edits_for


def test_first_item_of_an_empty_list_becomes_none() -> None:
    before = "def newest(events):\n    return events[0].name\n"

    edits = edits_for(EmptyCollection(), before, 2, "IndexError", "list index out of range")

    assert edits[0] == "def newest(events):\n    return (events[0] if events else None).name\n"
    assert "    if not (events):\n        return None\n" in edits[1]


def test_division_by_length_falls_back_to_zero() -> None:
    before = "def mean(xs):\n    return sum(xs) / len(xs)  # average\n"

    edits = edits_for(EmptyCollection(), before, 2, "ZeroDivisionError", "division by zero")

    assert (
        edits[0] == "def mean(xs):\n    return (sum(xs) / len(xs) if len(xs) else 0)  # average\n"
    )


def test_max_of_nothing_gets_a_default() -> None:
    before = "def peak(xs):\n    return max(xs)\n"

    edits = edits_for(EmptyCollection(), before, 2, "ValueError", "max() arg is an empty sequence")

    assert edits == [
        "def peak(xs):\n    return max(xs, default=None)\n",
        "def peak(xs):\n    return max(xs, default=0)\n",
    ]
