"""Attack 1: a repository's links copied as their targets put the host's files (and the
worker's environment) into the sandbox. Every place that copies a checkout for a run is tried
with every kind of escaping link; the run must see none of what they point at."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from app.environments.repository_tests import RepositoryTests
from app.errors import KintsugiError
from app.evolution import benchmark, improvements
from app.github import fix_suite, improvement_prs
from app.healing.engine import build_healer, heal_repository
from app.healing.incidents.model import FailingTest, Incident, IncidentSource
from app.healing.localise import RepositoryFiles
from app.healing.spectrum import SpectrumLocaliser
from app.healing.suite import SuiteReport, run_suite
from app.healing.validate import Validator
from tests.security.conftest import Host, PryingRunner

PYTEST = RepositoryTests.without_environment("pytest")
CopyingStep = Callable[[PryingRunner, Path, Path], Awaitable[Any]]


async def _validator(runner: PryingRunner, repo: Path, scratch: Path) -> Any:
    return await Validator(runner, repo, PYTEST).baseline()


async def _heal_without_incident(runner: PryingRunner, repo: Path, scratch: Path) -> Any:
    return await heal_repository(build_healer(runner=runner, strategies=[]), repo, tests=PYTEST)


async def _spectrum(runner: PryingRunner, repo: Path, scratch: Path) -> Any:
    failing = (FailingTest("tests/test_core.py::test_add"),)
    incident = Incident(IncidentSource.TEST_RUN, (), failing_tests=failing)
    baseline = SuiteReport(frozenset(), frozenset({"tests/test_core.py::test_add"}), ())
    return await SpectrumLocaliser(runner)(incident, RepositoryFiles(repo), baseline, PYTEST)


async def _ci_reproduction(runner: PryingRunner, repo: Path, scratch: Path) -> Any:
    checkout = SimpleNamespace(root=repo)
    return await fix_suite.reproduce(checkout, runner, PYTEST, run_seconds=5)  # type: ignore[arg-type]


async def _benchmark(runner: PryingRunner, repo: Path, scratch: Path) -> Any:
    return await benchmark.measure(runner, repo, {}, "python -c pass", repetitions=1)


async def _improvement_suite(runner: PryingRunner, repo: Path, scratch: Path) -> Any:
    return await improvements._suite(runner, repo, {}, PYTEST, 5)


async def _improvement_pr_copy(runner: PryingRunner, repo: Path, scratch: Path) -> Any:
    improvement_prs._copy_tree(repo, scratch / "copy")
    return await run_suite(runner, scratch / "copy", "pytest")


STEPS: dict[str, CopyingStep] = {
    "validator": _validator,
    "heal-without-incident": _heal_without_incident,
    "spectrum": _spectrum,
    "ci-reproduction": _ci_reproduction,
    "benchmark": _benchmark,
    "improvement-suite": _improvement_suite,
    "improvement-pull-request": _improvement_pr_copy,
}


@pytest.mark.parametrize("step", sorted(STEPS))
async def test_no_copy_for_a_run_shows_the_run_a_host_file_or_the_environment(
    step: str, repo: Path, host: Host, tmp_path: Path
) -> None:
    runner = PryingRunner()
    with contextlib.suppress(KintsugiError, benchmark.BenchmarkFailed):
        await STEPS[step](runner, repo, tmp_path)

    assert runner.workdirs, "the step never ran the repository's code"
    assert runner.leaked(host) == []
    # The repository itself arrived, links that stay inside it included.
    assert "pkg/core.py" in runner.seen
    assert runner.seen.get("inside_file") == (repo / "pkg" / "core.py").read_bytes()


async def test_a_link_the_run_leaves_in_place_of_its_report_is_not_read(
    repo: Path, host: Host, tmp_path: Path
) -> None:
    """The repository's own test run replaces the JUnit report with a link to a host file."""

    def plant(workdir: Path) -> None:
        os.symlink(host.report, workdir / ".kintsugi-junit.xml")
        os.symlink(host.secret_file, workdir / "left_behind.txt")

    runner = PryingRunner(plant=plant)
    report = await Validator(runner, repo, PYTEST).baseline()

    assert not report.readable
    assert not any(host.secret in name for name in report.passed | report.failed)


async def test_a_link_the_run_leaves_behind_is_dropped_when_the_tree_is_copied_again(
    repo: Path, host: Host, tmp_path: Path
) -> None:
    """A run's working tree copied for a later step: what the run linked is not brought along."""
    first = tmp_path / "first"
    improvement_prs._copy_tree(repo, first)
    os.symlink(host.secret_file, first / "pkg" / "planted.txt")
    os.symlink("../host/private", first / "planted_dir")

    runner = PryingRunner()
    await _improvement_pr_copy(runner, first, tmp_path / "later")

    assert runner.leaked(host) == []
    assert "pkg/core.py" in runner.seen
