"""Running a repository's test suite through the runner port and reading what failed."""

from __future__ import annotations

import shlex
import sys
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass, field
from pathlib import Path

from app.healing.incidents.errors import UnreadableIncident
from app.healing.incidents.model import ExceptionInfo, FailingTest, Incident, IncidentSource
from app.healing.incidents.traceback_text import parse_traceback_text
from app.healing.runner import CommandResult, CommandRunner
from app.workspace import RepositoryPathRefused, read_bytes

DEFAULT_TEST_COMMAND = "python -m pytest -q"
JUNIT_FILE = ".kintsugi-junit.xml"
# A suite's whole report; far past what tens of thousands of tests write.
JUNIT_MAX_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class SuiteReport:
    """Which tests passed and failed in one run; `failures` carry their exception chains."""

    passed: frozenset[str]
    failed: frozenset[str]
    failures: tuple[FailingTest, ...]
    chains: dict[str, tuple[ExceptionInfo, ...]] = field(default_factory=dict)
    wall_seconds: float = 0.0
    outcome: str = "ok"
    readable: bool = True

    @property
    def total(self) -> int:
        return len(self.passed) + len(self.failed)

    def counts(self) -> dict[str, int]:
        return {"passed": len(self.passed), "failed": len(self.failed), "total": self.total}


def suite_argv(test_command: str, junit_path: str, *selection: str) -> list[str]:
    """The command as argv, with pytest asked for a JUnit report and plain tracebacks.

    `python` means the interpreter healing runs on, which the sandbox exposes read-only."""
    argv = shlex.split(test_command)
    if not argv:
        raise UnreadableIncident("the test command is empty")
    if argv[0] in ("python", "python3"):
        argv[0] = sys.executable
    elif argv[0] in ("pytest", "py.test"):
        argv[:1] = [sys.executable, "-m", "pytest"]
    if "pytest" in argv[:3] or any(part.endswith("pytest") for part in argv[:3]):
        argv += [
            f"--junitxml={junit_path}",
            "-o",
            "junit_family=xunit1",
            "--tb=native",
            "-p",
            "no:cacheprovider",
            *selection,
        ]
    return argv


async def run_suite(
    runner: CommandRunner,
    workdir: Path,
    test_command: str = DEFAULT_TEST_COMMAND,
    *,
    timeout_seconds: float = 120.0,
    selection: tuple[str, ...] = (),
) -> SuiteReport:
    junit = workdir / JUNIT_FILE
    junit.unlink(missing_ok=True)
    result = await runner.run(
        suite_argv(test_command, JUNIT_FILE, *selection),
        workdir=workdir,
        timeout_seconds=timeout_seconds,
    )
    # The run may have replaced the report with a link to a host file: read it through the
    # workspace, which refuses that.
    try:
        report = junit_report(read_bytes(workdir, JUNIT_FILE, max_bytes=JUNIT_MAX_BYTES), result)
    except (FileNotFoundError, RepositoryPathRefused):
        report = _unreadable(result)
    junit.unlink(missing_ok=True)
    return report


def _unreadable(result: CommandResult) -> SuiteReport:
    return SuiteReport(
        passed=frozenset(),
        failed=frozenset(),
        failures=(),
        wall_seconds=result.wall_seconds,
        outcome=result.outcome,
        readable=False,
    )


def junit_report(data: bytes, result: CommandResult) -> SuiteReport:
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError:
        return _unreadable(result)
    passed: set[str] = set()
    failed: set[str] = set()
    failures: list[FailingTest] = []
    chains: dict[str, tuple[ExceptionInfo, ...]] = {}
    for case in root.iter("testcase"):
        node_id = _node_id(case)
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        if problem is None:
            if case.find("skipped") is None:
                passed.add(node_id)
            continue
        failed.add(node_id)
        chain = _chain(problem.text or "", problem.get("message") or "")
        chains[node_id] = chain
        failures.append(FailingTest(node_id=node_id, exception=chain[-1] if chain else None))
    return SuiteReport(
        passed=frozenset(passed),
        failed=frozenset(failed),
        failures=tuple(failures),
        chains=chains,
        wall_seconds=result.wall_seconds,
        outcome=result.outcome,
    )


def _node_id(case: ElementTree.Element) -> str:
    file = case.get("file")
    classname = case.get("classname") or ""
    name = case.get("name") or ""
    if file:
        module = file.removesuffix(".py").replace("/", ".")
        inner = classname.removeprefix(module).strip(".")
        return "::".join(part for part in (file, inner, name) if part)
    return f"{classname}::{name}"


def _chain(text: str, message: str) -> tuple[ExceptionInfo, ...]:
    try:
        return parse_traceback_text(text)
    except UnreadableIncident:
        if message:
            kind, _, value = message.partition(": ")
            return (ExceptionInfo(type=kind.strip() or "Failure", value=value.strip()),)
        return ()


def incident_from_suite(report: SuiteReport) -> Incident:
    """The failing tests of a run as one incident; no failure is bad input."""
    if not report.readable:
        raise UnreadableIncident(
            f"the test command produced no readable report (outcome: {report.outcome})"
        )
    if not report.failures:
        raise UnreadableIncident("the test suite passes: there is nothing to heal")
    first = report.failures[0]
    exceptions = report.chains.get(first.node_id) or (
        ExceptionInfo(type="TestFailure", value=first.node_id),
    )
    return Incident(
        source=IncidentSource.TEST_RUN,
        exceptions=exceptions,
        failing_tests=report.failures,
        title=f"{len(report.failures)} failing test(s): {first.node_id}",
    )
