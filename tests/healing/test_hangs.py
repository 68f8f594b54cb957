"""Hanging tests are failing tests: located where they hang, and cheap for a looping candidate."""

from __future__ import annotations

import ast
import time
from pathlib import Path

import pytest

from app.healing.candidate_search import Budget
from app.healing.engine import build_healer, heal_repository
from app.healing.hang_guard import RECORD_FILE, HangGuard, read_hang_record
from app.healing.incidents.model import ExceptionInfo
from app.healing.pytest_plugins import PLUGIN_DIR
from app.healing.runner import SandboxCommandRunner
from app.healing.suite import SuiteReport, incident_from_suite, run_suite
from tests.healing.conftest import KINTSUGI_TESTS, write_repo

COUNTING = """
    def total_below(n):
        total = 0
        i = 0
        while i < n:
            total += i
            {step}
        return total


    def double(x):
        return 2 * x
"""
COUNTING_TESTS = """
    from loops.counting import double, total_below


    def test_total_below():
        assert total_below(4) == 6


    def test_nothing_below_zero():
        assert total_below(0) == 0


    def test_double():
        assert double(3) == 6
"""
LOOP_LINES = {4, 5, 6}  # the `while` and its body in loops/counting.py


def counting_repo(root: Path, step: str) -> Path:
    return write_repo(
        root,
        {
            "loops/__init__.py": "",
            "loops/counting.py": COUNTING.replace("{step}", step),
            "tests/test_counting.py": COUNTING_TESTS,
        },
    )


def test_the_plugin_is_python_3_6_and_standard_library_only() -> None:
    source = (PLUGIN_DIR / "kintsugi_hangs.py").read_text()

    tree = ast.parse(source, feature_version=(3, 6))

    imported = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported == {
        "faulthandler",
        "json",
        "os",
        "signal",
        "threading",
        "traceback",
        "typing",
        "pytest",
    }


def test_limits_come_from_the_baseline_and_a_hung_test_gets_the_slowest() -> None:
    hung = ExceptionInfo("HungTest", "t::slow ran past its time limit")
    baseline = SuiteReport(
        passed=frozenset({"t::fast", "t::steady"}),
        failed=frozenset({"t::slow", "t::wrong"}),
        failures=(),
        chains={"t::slow": (hung,), "t::wrong": (ExceptionInfo("AssertionError", ""),)},
        durations={"t::fast": 0.01, "t::steady": 0.3, "t::slow": 10.0, "t::wrong": 0.02},
    )

    limits = HangGuard(default_seconds=10, factor=10, floor_seconds=1).limits(baseline)

    assert limits == {"t::fast": 1.0, "t::steady": 3.0, "t::wrong": 1.0, "t::slow": 3.0}
    with pytest.raises(ValueError, match="positive"):
        HangGuard(factor=0)


def test_a_record_without_a_stack_is_no_hang(tmp_path: Path) -> None:
    assert read_hang_record(tmp_path) is None
    (tmp_path / RECORD_FILE).write_text("KINTSUGI-HUNG tests/test_a.py::test_b 2\n")

    assert read_hang_record(tmp_path) is None


def test_a_record_linked_to_a_host_file_is_not_read(tmp_path: Path) -> None:
    host = tmp_path / "host.txt"
    host.write_text(
        "KINTSUGI-HUNG tests/test_a.py::test_b 2\nThread 0x1 (most recent call first):\n"
    )
    work = tmp_path / "work"
    work.mkdir()
    (work / RECORD_FILE).symlink_to(host)

    assert read_hang_record(work) is None


@pytest.mark.sandbox
async def test_a_test_that_loops_forever_fails_at_the_loop(tmp_path: Path) -> None:
    repo = counting_repo(tmp_path / "repo", "")  # the increment is missing
    started = time.monotonic()

    report = await run_suite(
        SandboxCommandRunner(), repo, timeout_seconds=60, hangs=HangGuard(default_seconds=2)
    )

    elapsed = time.monotonic() - started
    assert report.readable and report.outcome == "error"
    assert report.failed == {"tests/test_counting.py::test_total_below"}
    assert report.passed == {
        "tests/test_counting.py::test_nothing_below_zero",
        "tests/test_counting.py::test_double",
    }
    chain = report.chains["tests/test_counting.py::test_total_below"]
    hung = chain[-1]
    assert hung.short_type == "HungTest"
    assert "time limit of 2 s" in hung.value
    assert [(Path(f.filename).name, f.function) for f in hung.frames] == [
        ("test_counting.py", "test_total_below"),
        ("counting.py", "total_below"),
    ]
    assert hung.frames[-1].lineno in LOOP_LINES
    assert f"loops/counting.py:{hung.frames[-1].lineno}" in hung.value
    assert elapsed < 2 + 10
    assert not (repo / ".kintsugi-hang.txt").exists()


@pytest.mark.sandbox
async def test_a_looping_candidate_costs_its_baseline_limit_not_the_default(
    tmp_path: Path,
) -> None:
    runner = SandboxCommandRunner()
    guard = HangGuard(default_seconds=30)
    repo = counting_repo(tmp_path / "repo", "i += 1")
    baseline = await run_suite(runner, repo, hangs=guard)
    assert baseline.failed == set() and len(baseline.passed) == 3
    (repo / "loops/counting.py").write_text(
        (repo / "loops/counting.py").read_text().replace("return 2 * x", "while x:\n        x += 1")
    )

    report = await run_suite(runner, repo, hangs=guard, limits=guard.limits(baseline))

    assert report.failed == {"tests/test_counting.py::test_double"}
    assert report.chains["tests/test_counting.py::test_double"][-1].short_type == "HungTest"
    assert 1.0 <= report.durations["tests/test_counting.py::test_double"] < 3.0


@pytest.mark.sandbox
async def test_a_test_the_signal_cannot_reach_still_fails_where_it_is_stuck(
    tmp_path: Path,
) -> None:
    repo = write_repo(
        tmp_path / "repo",
        {
            "blocking.py": """
                import signal


                def wait_for_ever():
                    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
                    while True:
                        pass
            """,
            "tests/test_a_first.py": "def test_first():\n    assert True\n",
            "tests/test_blocking.py": """
                from blocking import wait_for_ever


                def test_waits():
                    wait_for_ever()
            """,
            "tests/test_z_last.py": "def test_last():\n    assert True\n",
        },
    )

    report = await run_suite(
        SandboxCommandRunner(), repo, timeout_seconds=60, hangs=HangGuard(default_seconds=1)
    )

    assert report.failed == {"tests/test_blocking.py::test_waits"}
    assert report.passed == {"tests/test_a_first.py::test_first", "tests/test_z_last.py::test_last"}
    hung = report.chains["tests/test_blocking.py::test_waits"][-1]
    assert hung.short_type == "HungTest" and "could not be interrupted" in hung.value
    # Stuck in the loop: the stack is taken between its two lines, either of which it can be on.
    [(test_file, test_function, test_line), (file, function, line)] = [
        (Path(f.filename).name, f.function, f.lineno) for f in hung.frames
    ]
    assert (test_file, test_function, test_line) == ("test_blocking.py", "test_waits", 5)
    assert (file, function) == ("blocking.py", "wait_for_ever") and line in (6, 7)


@pytest.mark.sandbox
@pytest.mark.slow
async def test_healing_a_hang_starts_at_the_loop_and_fixes_a_wrong_step(tmp_path: Path) -> None:
    repo = counting_repo(tmp_path / "repo", "i -= 1")
    healer = build_healer(
        runner=SandboxCommandRunner(),
        budget=Budget(seconds=90, run_timeout=60, hangs=HangGuard(default_seconds=2)),
    )

    result = await heal_repository(healer, repo, tests=KINTSUGI_TESTS)

    assert result.fix is not None, result.rejections
    assert "        i += 1\n" in result.fix.changes["loops/counting.py"]
    assert result.fix.location is not None and result.fix.location.startswith("loops/counting.py:")
    assert result.fix.evidence.before == {"passed": 2, "failed": 1, "total": 3}
    assert result.fix.evidence.after == {"passed": 3, "failed": 0, "total": 3}


@pytest.mark.sandbox
async def test_a_missing_increment_is_an_incident_located_at_the_loop(tmp_path: Path) -> None:
    repo = counting_repo(tmp_path / "repo", "")

    report = await run_suite(SandboxCommandRunner(), repo, hangs=HangGuard(default_seconds=2))
    incident = incident_from_suite(report)

    crash = incident.exception.crash_frame
    assert crash is not None and crash.function == "total_below"
    assert crash.filename.endswith("loops/counting.py") and crash.lineno in LOOP_LINES
    assert incident.title == "1 failing test(s): tests/test_counting.py::test_total_below"
