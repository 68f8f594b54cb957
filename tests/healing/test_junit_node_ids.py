"""Node ids read from a JUnit report select the same tests again, inherited methods included."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from app.healing.runner import CommandResult
from app.healing.suite import junit_report

INHERITED = {
    "tests/__init__.py": "",
    "tests/pkg/__init__.py": "",
    "tests/pkg/test_base.py": """
class TestBase:
    def test_shared(self):
        assert self.value() == 1

    def value(self):
        return 1
""",
    "tests/pkg/test_derived.py": """
from tests.pkg.test_base import TestBase


class TestDerived(TestBase):
    def value(self):
        return 2


def test_plain():
    assert True
""",
}


def _pytest(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_an_inherited_method_is_named_by_the_class_that_runs_it(tmp_path: Path) -> None:
    for path, text in INHERITED.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    run = _pytest(tmp_path, "--junitxml=report.xml", "-o", "junit_family=xunit1", "tests")
    report = junit_report(
        (tmp_path / "report.xml").read_bytes(),
        CommandResult(run.returncode, run.stdout, run.stderr, 0.0, "ok"),
    )

    assert report.failed == {"tests/pkg/test_derived.py::TestDerived::test_shared"}
    assert "tests/pkg/test_base.py::TestBase::test_shared" in report.passed
    assert "tests/pkg/test_derived.py::test_plain" in report.passed
    # Each id selects its test again: the failing one fails alone.
    again = _pytest(tmp_path, *sorted(report.failed))
    assert "1 failed" in again.stdout, again.stdout
