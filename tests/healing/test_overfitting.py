"""Guards against fixes that overfit the tests, and the size of an edit."""

from __future__ import annotations

from pathlib import Path

from app.healing.candidates import Candidate, RepairContext
from app.healing.incidents.model import (
    ExceptionInfo,
    FailingTest,
    Frame,
    Incident,
    IncidentSource,
)
from app.healing.localise import Location, RepositoryFiles
from app.healing.overfitting import OverfittingGuard, edit_size

PRICES = """\
def discount(customer, total):
    if customer.loyal:
        total = total * 0.9
    return round(total, 2)
"""
TESTS = """\
from prices import discount


def test_loyal_customer(loyal):
    assert discount(loyal, 40.0) == 36.0


def test_name_is_kept(customer):
    assert customer.name == "Grace Hopper"
"""


def _context(tmp_path: Path, *, crash_line: int | None = None) -> RepairContext:
    (tmp_path / "prices.py").write_text(PRICES)
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_prices.py").write_text(TESTS)
    frame = Frame("prices.py", "discount", crash_line) if crash_line else None
    exception = ExceptionInfo("AssertionError", "assert 40.0 == 36.0", (frame,) if frame else ())
    incident = Incident(
        IncidentSource.TEST_RUN,
        (exception,),
        failing_tests=(FailingTest("tests/test_prices.py::test_loyal_customer", exception),),
    )
    location = Location("prices.py", crash_line or 3, "discount", 1.0, frame=frame)
    return RepairContext(RepositoryFiles(tmp_path), incident, (location,))


def _candidate(source: str) -> Candidate:
    return Candidate("search", "edit", "an edit", {"prices.py": source})


def test_a_comparison_with_a_literal_from_the_failing_tests_is_refused(tmp_path: Path) -> None:
    context = _context(tmp_path)
    guard = OverfittingGuard.for_case(context)
    special_case = PRICES.replace(
        "    return round(total, 2)\n",
        "    if total == 40.0:\n        return 36.0\n    return round(total, 2)\n",
    )

    reason = guard.refusal(_candidate(special_case), context.files)

    assert reason == "compares against 40.0, a literal taken from the failing tests"


def test_literals_the_code_already_compared_with_or_trivial_ones_pass(tmp_path: Path) -> None:
    context = _context(tmp_path)
    guard = OverfittingGuard.for_case(context)
    guarded = PRICES.replace("    if customer.loyal:", "    if customer.loyal and total > 0:")
    # A literal of the tests used in arithmetic, not compared with, is not singling out an input.
    scaled = PRICES.replace("total * 0.9", "total * 0.9 - 40.0 + 40.0")

    assert guard.refusal(_candidate(guarded), context.files) is None
    assert guard.refusal(_candidate(scaled), context.files) is None


def test_deleting_the_line_the_failing_test_crashed_on_is_refused(tmp_path: Path) -> None:
    context = _context(tmp_path, crash_line=3)
    guard = OverfittingGuard.for_case(context)
    deleted = PRICES.replace("        total = total * 0.9\n", "        pass\n")

    reason = guard.refusal(_candidate(deleted), context.files)

    assert reason is not None and "deletes prices.py:3" in reason


def test_moving_the_crash_line_is_not_deleting_it(tmp_path: Path) -> None:
    context = _context(tmp_path, crash_line=2)
    guard = OverfittingGuard.for_case(context)
    before = "def discount(customer, total):\n    rate = 0.9\n    total = total * 2\n"
    (tmp_path / "prices.py").write_text(before)
    moved = "def discount(customer, total):\n    total = total * 2\n    rate = 0.9\n"

    assert guard.refusal(_candidate(moved), context.files) is None
    assert guard.refusal(_candidate(moved.replace("    rate = 0.9\n", "")), context.files)


def test_emptying_the_function_the_test_runs_is_refused(tmp_path: Path) -> None:
    context = _context(tmp_path)
    guard = OverfittingGuard.for_case(context)
    emptied = "def discount(customer, total):\n    return None\n"

    reason = guard.refusal(_candidate(emptied), context.files)

    assert reason is not None and reason.startswith("empties `discount`")


def test_edit_size_counts_changed_lines_then_characters(tmp_path: Path) -> None:
    context = _context(tmp_path)
    small = PRICES.replace("0.9", "0.8")
    larger = PRICES.replace("total * 0.9", "total - total / 10")
    two_lines = small.replace("round(total, 2)", "round(total, 1)")

    sizes = [edit_size(_candidate(text), context.files) for text in (small, larger, two_lines)]

    assert sizes[0] == (1, 1)
    assert sizes[0] < sizes[1] < sizes[2]
