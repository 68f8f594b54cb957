"""Running a repository's test suite through the runner port and reading what failed."""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shlex
import sys
import xml.etree.ElementTree as ElementTree
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from app.environments.environment import Environment
from app.healing.hang_guard import GuardedRun, HangGuard, guarded_run, read_hang_record
from app.healing.incidents.errors import UnreadableIncident
from app.healing.incidents.model import ExceptionInfo, FailingTest, Incident, IncidentSource
from app.healing.incidents.traceback_text import parse_traceback_text
from app.healing.runner import CommandResult, CommandRunner
from app.workspace import RepositoryPathRefused, read_bytes

DEFAULT_TEST_COMMAND = "python -m pytest -q"
JUNIT_FILE = ".kintsugi-junit.xml"
DEFAULT_HANG_GUARD = HangGuard()
_RERUNS_AFTER_HANG = 2
# A suite's whole report; far past what tens of thousands of tests write.
JUNIT_MAX_BYTES = 64 * 1024 * 1024
_RAISED_LINES = re.compile(r"^E\s+([A-Za-z_][\w.]*(?:Error|Exception)):(.*)$", re.MULTILINE)


@dataclass(frozen=True)
class SuiteReport:
    """Which tests passed and failed in one run; `failures` carry their exception chains and
    `durations` the seconds each test took (setup and teardown included)."""

    passed: frozenset[str]
    failed: frozenset[str]
    failures: tuple[FailingTest, ...]
    chains: dict[str, tuple[ExceptionInfo, ...]] = field(default_factory=dict)
    wall_seconds: float = 0.0
    outcome: str = "ok"
    readable: bool = True
    durations: dict[str, float] = field(default_factory=dict)
    errored: frozenset[str] = frozenset()  # the part of `failed` that errored, not asserted
    skipped: frozenset[str] = frozenset()
    exit_code: int | None = None
    output_tail: str = ""

    @property
    def total(self) -> int:
        return len(self.passed) + len(self.failed)

    def counts(self) -> dict[str, int]:
        return {"passed": len(self.passed), "failed": len(self.failed), "total": self.total}


def suite_argv(
    test_command: str,
    junit_path: str,
    *selection: str,
    plugin_args: Sequence[str] = (),
    python: Path | None = None,
) -> list[str]:
    """The command as argv, with pytest asked for a JUnit report and plain tracebacks, and
    given `plugin_args` (Kintsugi's own plugins).

    `python` means the repository environment's interpreter when one is given; without one it
    still means the interpreter healing runs on, which the sandbox exposes read-only."""
    argv = shlex.split(test_command)
    if not argv:
        raise UnreadableIncident("the test command is empty")
    interpreter = str(python) if python is not None else sys.executable
    if argv[0] in ("python", "python3"):
        argv[0] = interpreter
    elif argv[0] in ("pytest", "py.test"):
        argv[:1] = [interpreter, "-m", "pytest"]
    if "pytest" in argv[:3] or any(part.endswith("pytest") for part in argv[:3]):
        argv += [
            f"--junitxml={junit_path}",
            "-o",
            "junit_family=xunit1",
            "--tb=native",
            "-p",
            "no:cacheprovider",
            *plugin_args,
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
    hangs: HangGuard | None = DEFAULT_HANG_GUARD,
    limits: Mapping[str, float] | None = None,
    environment: Environment | None = None,
) -> SuiteReport:
    """One run of the suite in `workdir`, on `environment`'s interpreter and packages when one
    is given. With `hangs`, each test is bounded (by `limits` per node id, the guard's default
    otherwise) and one that hangs fails where it is stuck."""
    once = functools.partial(
        _run_once, runner, workdir, test_command, timeout_seconds, hangs, limits, environment
    )
    report = await once(selection)
    # A test stuck where the signal cannot reach ends the whole run: run the rest without it.
    for _ in range(_RERUNS_AFTER_HANG):
        if report.outcome != "hung":
            break
        deselected = tuple(arg for node in sorted(report.failed) for arg in ("--deselect", node))
        report = _merged(report, await once((*selection, *deselected)))
    return report


async def _run_once(
    runner: CommandRunner,
    workdir: Path,
    test_command: str,
    timeout_seconds: float,
    hangs: HangGuard | None,
    limits: Mapping[str, float] | None,
    environment: Environment | None,
    selection: tuple[str, ...],
) -> SuiteReport:
    junit = workdir / JUNIT_FILE
    junit.unlink(missing_ok=True)
    staged: contextlib.AbstractContextManager[GuardedRun | None] = (
        guarded_run(hangs, workdir, limits or {}) if hangs is not None else contextlib.nullcontext()
    )
    with staged as guarded:
        result = await runner.run(
            suite_argv(
                test_command,
                JUNIT_FILE,
                *selection,
                plugin_args=guarded.args if guarded else (),
                python=_python(environment),
            ),
            workdir=workdir,
            timeout_seconds=timeout_seconds,
            env=_with_plugins(_variables(environment, workdir), guarded.env if guarded else {}),
            readonly=(*_readonly(environment), *(guarded.readonly if guarded else ())),
        )
        report = _report(workdir, result)
        if guarded is not None:
            if not report.readable:
                report = _hung(workdir, result)
            guarded.record.unlink(missing_ok=True)
    junit.unlink(missing_ok=True)
    return report


def _python(environment: Environment | None) -> Path | None:
    return environment.python if environment is not None else None


def _readonly(environment: Environment | None) -> tuple[Path, ...]:
    return environment.readonly_paths() if environment is not None else ()


def _variables(environment: Environment | None, workdir: Path) -> dict[str, str] | None:
    return environment.variables(workdir) if environment is not None else None


def _with_plugins(
    variables: Mapping[str, str] | None, plugins: Mapping[str, str]
) -> dict[str, str] | None:
    """The environment's variables with the plugins' on top (None when there are neither);
    both may set PYTHONPATH, and the run needs both: the repository's sources first, then the
    plugin directory."""
    merged = {**(variables or {}), **plugins}
    paths = [
        part
        for source in (variables or {}, plugins)
        for part in source.get("PYTHONPATH", "").split(os.pathsep)
        if part
    ]
    if paths:
        merged["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
    return merged or None


def _merged(hung: SuiteReport, rest: SuiteReport) -> SuiteReport:
    if not rest.readable:
        return hung
    return SuiteReport(
        passed=rest.passed,
        failed=hung.failed | rest.failed,
        failures=hung.failures + rest.failures,
        chains={**hung.chains, **rest.chains},
        wall_seconds=hung.wall_seconds + rest.wall_seconds,
        outcome=rest.outcome,
        durations=rest.durations,
        errored=hung.errored | rest.errored,
        skipped=rest.skipped,
        exit_code=rest.exit_code,
        output_tail=rest.output_tail,
    )


def _hung(workdir: Path, result: CommandResult) -> SuiteReport:
    """A run ended by the plugin's last resort has no report, only the stuck test's stack: the
    test failed there; the others did not run or are unknown, so none counts as passed."""
    hung = read_hang_record(workdir)
    if hung is None:
        return _unreadable(result)
    return SuiteReport(
        passed=frozenset(),
        failed=frozenset({hung.node_id}),
        failures=(FailingTest(node_id=hung.node_id, exception=hung.exception),),
        chains={hung.node_id: (hung.exception,)},
        wall_seconds=result.wall_seconds,
        outcome="hung",
        exit_code=result.exit_code,
        output_tail=_tail(result),
    )


def _unreadable(result: CommandResult) -> SuiteReport:
    return SuiteReport(
        passed=frozenset(),
        failed=frozenset(),
        failures=(),
        wall_seconds=result.wall_seconds,
        outcome=result.outcome,
        readable=False,
        exit_code=result.exit_code,
        output_tail=_tail(result),
    )


def _tail(result: CommandResult, size: int = 3000) -> str:
    return (result.stdout[-size:] + "\n" + result.stderr[-size:]).strip()


def _report(workdir: Path, result: CommandResult) -> SuiteReport:
    # The run may have replaced the report with a link to a host file: read it through the
    # workspace, which refuses that.
    try:
        return junit_report(read_bytes(workdir, JUNIT_FILE, max_bytes=JUNIT_MAX_BYTES), result)
    except (FileNotFoundError, RepositoryPathRefused):
        return _unreadable(result)


def junit_report(data: bytes, result: CommandResult) -> SuiteReport:
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError:
        return _unreadable(result)
    passed: set[str] = set()
    failed: set[str] = set()
    errored: set[str] = set()
    skipped: set[str] = set()
    failures: list[FailingTest] = []
    chains: dict[str, tuple[ExceptionInfo, ...]] = {}
    durations: dict[str, float] = {}
    for case in root.iter("testcase"):
        node_id = _node_id(case)
        durations[node_id] = _seconds(case.get("time"))
        problem = case.find("failure")
        if problem is None:
            problem = case.find("error")
        if problem is None:
            if case.find("skipped") is None:
                passed.add(node_id)
            else:
                skipped.add(node_id)
            continue
        failed.add(node_id)
        if problem.tag == "error":
            errored.add(node_id)
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
        durations=durations,
        errored=frozenset(errored),
        skipped=frozenset(skipped),
        exit_code=result.exit_code,
        output_tail=_tail(result),
    )


def _seconds(text: str | None) -> float:
    try:
        return max(0.0, float(text or 0.0))
    except ValueError:
        return 0.0


def _node_id(case: ElementTree.Element) -> str:
    """The pytest node id of a JUnit test case, as a selection that runs it again.

    `classname` is the node id's module path and classes, dotted; `file` is where the test
    function is defined, which for a method a class inherits from another module is not the
    module the node belongs to: then the module ends before the first class-like part."""
    file = case.get("file")
    classname = case.get("classname") or ""
    name = case.get("name") or ""
    if file:
        module = file.removesuffix(".py").replace("/", ".")
        # An empty classname is a collection error: its name is the module.
        if not classname or classname == module or classname.startswith(f"{module}."):
            inner = classname.removeprefix(module).strip(".")
            return "::".join(part for part in (file, inner, name) if part)
    parts = classname.split(".")
    first_class = next(
        (index for index, part in enumerate(parts) if part[:1].isupper()), len(parts)
    )
    if first_class:
        path = "/".join(parts[:first_class]) + ".py"
        return "::".join((path, *parts[first_class:], name))
    return f"{classname}::{name}"


def _chain(text: str, message: str) -> tuple[ExceptionInfo, ...]:
    try:
        return parse_traceback_text(text)
    except UnreadableIncident:
        # A collection error is pytest's own report, not a traceback: its `E   Type: value` line.
        raised = _RAISED_LINES.findall(text)
        if raised:
            kind, value = raised[-1]
            return (ExceptionInfo(type=kind, value=value.strip()),)
        if message:
            kind, _, value = message.partition(": ")
            return (ExceptionInfo(type=kind.strip() or "Failure", value=value.strip()),)
        return ()


def incident_from_suite(report: SuiteReport) -> Incident:
    """The failing tests of a run as one incident; no failure is bad input."""
    if not report.readable:
        code = "none" if report.exit_code is None else str(report.exit_code)
        tail = f"\n{report.output_tail[-1500:]}" if report.output_tail else ""
        raise UnreadableIncident(
            f"the test command produced no readable report (outcome: {report.outcome}, "
            f"exit code {code}){tail}"
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
