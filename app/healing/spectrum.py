"""Spectrum-based fault localisation (Ochiai) over the lines each test covers."""

from __future__ import annotations

import json
import math
import shutil
import tempfile
from collections import Counter
from pathlib import Path

from app.environments.repository_tests import RepositoryTests
from app.healing.hang_guard import HangGuard
from app.healing.incidents.model import Incident
from app.healing.localise import Location, RepositoryFiles, is_test_file
from app.healing.runner import CommandRunner
from app.healing.suite import DEFAULT_HANG_GUARD, SuiteReport, run_suite
from app.workspace import RepositoryPathRefused, copy_repository, read_text, write_text

PLUGIN_MODULE = "kintsugi_spectrum"
_OUTPUT = ".kintsugi-spectrum.json"

# A pytest plugin copied into the scratch workspace only: it records, per test, which lines of
# the repository's own files ran, and whether the test passed.
_PLUGIN = (
    '''
import json, os, sys, threading
import pytest

_ROOT = os.path.realpath(os.getcwd()) + os.sep
_SKIP = (os.sep + ".venv" + os.sep, os.sep + "site-packages" + os.sep)
_lines = set()
_spectra = {}


def _trace(frame, event, arg):
    name = frame.f_code.co_filename
    if not name.startswith(_ROOT) or any(part in name for part in _SKIP):
        return None
    if event == "line":
        _lines.add((name[len(_ROOT):], frame.f_lineno))
    return _trace


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    _lines.clear()
    threading.settrace(_trace)
    sys.settrace(_trace)
    try:
        yield
    finally:
        sys.settrace(None)
        threading.settrace(None)
        _spectra[item.nodeid] = {"lines": sorted(_lines), "passed": None}


def pytest_runtest_logreport(report):
    if report.when == "call" and report.nodeid in _spectra:
        _spectra[report.nodeid]["passed"] = report.passed


def pytest_sessionfinish(session):
    with open("'''
    + _OUTPUT
    + """", "w") as out:
        json.dump(_spectra, out)
"""
)


class SpectrumLocaliser:
    """Runs the suite once with line tracing, in the case's environment, and ranks lines by
    Ochiai suspiciousness."""

    def __init__(
        self,
        runner: CommandRunner,
        *,
        timeout: float = 120.0,
        top: int = 12,
        hangs: HangGuard = DEFAULT_HANG_GUARD,
    ) -> None:
        self.runner = runner
        self.timeout = timeout
        self.top = top
        self.hangs = hangs

    async def __call__(
        self,
        incident: Incident,
        files: RepositoryFiles,
        baseline: SuiteReport,
        tests: RepositoryTests,
    ) -> list[Location]:
        if not incident.failing_tests:
            return []
        with tempfile.TemporaryDirectory(prefix="kintsugi-sbfl-") as scratch:
            copy = Path(scratch) / "repo"
            copy_repository(
                files.root, copy, ignore=shutil.ignore_patterns(".git", ".venv", "__pycache__")
            )
            write_text(copy, f"{PLUGIN_MODULE}.py", _PLUGIN)
            await run_suite(
                self.runner,
                copy,
                tests.command,
                timeout_seconds=self.timeout,
                selection=("-p", PLUGIN_MODULE),
                # Tracing slows every line: the baseline's limits would fail tests that pass.
                hangs=self.hangs,
                environment=tests.environment,
            )
            # The run may have left anything at the output path, a link to a host file too.
            try:
                spectra = json.loads(read_text(copy, _OUTPUT))
            except (FileNotFoundError, UnicodeDecodeError, ValueError, RepositoryPathRefused):
                return []
            if not isinstance(spectra, dict):
                return []
        return ochiai(spectra, files, self.top)


def ochiai(
    spectra: dict[str, dict[str, object]], files: RepositoryFiles, top: int
) -> list[Location]:
    """Locations ranked by failed(l) / sqrt(total_failed * (failed(l) + passed(l)))."""
    failed_at: Counter[tuple[str, int]] = Counter()
    passed_at: Counter[tuple[str, int]] = Counter()
    total_failed = 0
    for record in spectra.values():
        lines = record.get("lines")
        if not isinstance(lines, list):
            continue
        covered = {(str(path), int(line)) for path, line in lines}
        if record.get("passed") is False:
            total_failed += 1
            failed_at.update(covered)
        elif record.get("passed") is True:
            passed_at.update(covered)
    if total_failed == 0:
        return []
    scored: list[tuple[float, str, int]] = []
    for (path, line), failed in failed_at.items():
        if is_test_file(path) or path.startswith(PLUGIN_MODULE) or path not in files.paths:
            continue
        score = failed / math.sqrt(total_failed * (failed + passed_at[(path, line)]))
        scored.append((score, path, line))
    # Ties (common in small suites) go to the later line: the computation, not the set-up.
    scored.sort(key=lambda item: (-item[0], item[1], -item[2]))
    return [Location(path, line, "", round(0.9 * score, 4)) for score, path, line in scored[:top]]
