"""What stops a case before any candidate, read from the run of the unchanged code."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.environments import EnvironmentUnavailable
from app.events import Event, EventType
from app.healing.blockers import Blocker, baseline_blocker, without_missing_modules
from app.healing.candidates import TemplateStrategy
from app.healing.incidents import incident_from_traceback
from app.healing.incidents.model import ExceptionInfo, FailingTest
from app.healing.localise import RepositoryFiles
from app.healing.pipeline import Healer
from app.healing.runner import CommandResult, SandboxCommandRunner
from app.healing.suite import SuiteReport, junit_report
from tests.healing.conftest import KINTSUGI_TESTS, write_repo

COLLECTION_ERROR = b"""<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest">
<testcase classname="" name="tests.test_a" file="tests/test_a.py" time="0.000">
<error message="collection failure">ImportError while importing test module '/w/tests/test_a.py'.
Traceback:
tests/test_a.py:1: in &lt;module&gt;
    import {module}
E   ModuleNotFoundError: No module named '{module}'</error></testcase></testsuite></testsuites>
"""


def _files(tmp_path: Path) -> RepositoryFiles:
    return RepositoryFiles(
        write_repo(
            tmp_path / "repo",
            {
                "src/shop/__init__.py": "",
                "src/shop/orders.py": "import toolz\n",
                "tests/test_a.py": "import toolz\n",
            },
        )
    )


def _collection_error(module: str) -> SuiteReport:
    data = COLLECTION_ERROR.replace(b"{module}", module.encode())
    return junit_report(data, CommandResult(2, "", "", 0.1, "error"))


def _report(passed: set[str], failed: dict[str, ExceptionInfo]) -> SuiteReport:
    return SuiteReport(
        passed=frozenset(passed),
        failed=frozenset(failed),
        failures=tuple(FailingTest(node, exc) for node, exc in failed.items()),
        chains={node: (exc,) for node, exc in failed.items()},
    )


def test_a_run_without_a_report_names_the_outcome_the_exit_code_and_the_output(
    tmp_path: Path,
) -> None:
    report = SuiteReport(
        frozenset(), frozenset(), (), outcome="error", readable=False, exit_code=4,
        output_tail="ERROR: usage: pytest [options]\nunrecognized arguments: --frobnicate",
    )  # fmt: skip

    blocker = baseline_blocker(report, _files(tmp_path))

    assert blocker is not None
    assert "no readable report (outcome error, exit code 4)" in blocker.reason
    assert "unrecognized arguments: --frobnicate" in blocker.output


def test_no_test_collected_is_a_blocker(tmp_path: Path) -> None:
    report = SuiteReport(frozenset(), frozenset(), (), exit_code=5, output_tail="no tests ran")

    blocker = baseline_blocker(report, _files(tmp_path))

    assert blocker is not None and "no tests were collected (exit code 5)" in blocker.reason


def test_a_collection_error_for_an_uninstalled_module_names_it(tmp_path: Path) -> None:
    report = _collection_error("toolz")
    # pytest's collection report is read to the error it names, not "collection failure".
    assert report.chains["tests/test_a.py::tests.test_a"][-1].type == "ModuleNotFoundError"

    blocker = baseline_blocker(report, _files(tmp_path))

    assert blocker is not None
    assert blocker.reason.startswith("the tests could not import toolz on the unchanged code")
    assert "not installed" in blocker.reason


def test_the_repositorys_own_package_off_the_path_is_named_as_such(tmp_path: Path) -> None:
    blocker = baseline_blocker(_collection_error("shop"), _files(tmp_path))

    assert blocker is not None
    assert "could not import shop, the repository's own code" in blocker.reason
    assert "not on the path" in blocker.reason


def test_a_misspelt_module_of_the_repository_is_a_bug_to_heal_not_a_blocker(
    tmp_path: Path,
) -> None:
    assert baseline_blocker(_collection_error("shop.ordrs"), _files(tmp_path)) is None


def test_a_genuine_failure_beside_a_missing_module_is_healed_without_it(tmp_path: Path) -> None:
    missing = ExceptionInfo("ModuleNotFoundError", "No module named 'toolz'")
    genuine = ExceptionInfo("KeyError", "'qty'")
    report = _report(
        {"tests/test_b.py::test_ok"},
        {"tests/test_a.py::tests.test_a": missing, "tests/test_c.py::test_qty": genuine},
    )
    files = _files(tmp_path)

    assert baseline_blocker(report, files) is None
    narrowed = without_missing_modules(report, files)
    assert narrowed.failed == {"tests/test_c.py::test_qty"}
    assert [f.node_id for f in narrowed.failures] == ["tests/test_c.py::test_qty"]


def test_only_missing_modules_failing_blocks_even_with_tests_passing(tmp_path: Path) -> None:
    missing = ExceptionInfo("ModuleNotFoundError", "No module named 'toolz'")
    report = _report({"tests/test_b.py::test_ok"}, {"tests/test_a.py::test_x": missing})
    files = _files(tmp_path)

    assert baseline_blocker(report, files) is not None
    # An incident's own targets that pass the import are judged as usual.
    assert baseline_blocker(report, files, frozenset({"tests/test_b.py::test_ok"})) is None
    # Its targets failing on the import are not.
    assert baseline_blocker(report, files, frozenset({"tests/test_a.py::test_x"})) is not None


def test_an_unavailable_environment_carries_its_reason_and_output() -> None:
    error = EnvironmentUnavailable("the environment build failed: requirements", output="x" * 5000)

    blocker = Blocker.environment(error)

    assert blocker.reason == (
        "the repository's environment is unavailable: the environment build failed: requirements"
    )
    assert blocker.output == "x" * 2000
    assert blocker.text().startswith(blocker.reason + "\n")


@pytest.mark.sandbox
async def test_a_case_whose_tests_cannot_import_ends_with_the_reason_in_its_event(
    tmp_path: Path,
) -> None:
    root = write_repo(
        tmp_path / "shop",
        {
            "shop/__init__.py": "",
            "shop/orders.py": """
                import kintsugi_absent_module


                def total(order):
                    return order["price"] * order["qty"]
                """,
            "tests/test_orders.py": """
                from shop.orders import total


                def test_total():
                    assert total({"price": 2, "qty": 3}) == 6
                """,
        },
    )
    incident = incident_from_traceback(
        'Traceback (most recent call last):\n  File "/srv/shop/orders.py", line 5, in total\n'
        '    return order["price"] * order["qty"]\nKeyError: \'qty\'\n'
    )
    events: list[Event] = []

    result = await Healer(SandboxCommandRunner(), [TemplateStrategy()], publish=events.append).heal(
        root, incident, tests=KINTSUGI_TESTS
    )

    assert result.fix is None and result.candidates_tried == 0
    assert result.blocked is not None
    assert "could not import kintsugi_absent_module" in result.blocked.reason
    assert "No module named 'kintsugi_absent_module'" in result.blocked.output
    assert [event.type for event in events] == [
        EventType.HEALING_CASE_OPENED,
        EventType.HEALING_FIX_NOT_FOUND,
    ]
    stopped = events[-1].payload
    assert stopped["reason"] == result.blocked.reason and stopped["candidates_tried"] == 0
