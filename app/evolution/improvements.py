"""Improvement proposals for a repository: codemods applied, kept only if its suite stays green;
speedups also only if the repository's benchmark shows the gain."""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import libcst as cst

from app.environments.repository_tests import RepositoryTests
from app.evolution.benchmark import REPETITIONS, BenchmarkFailed, BenchmarkFigures, measure
from app.evolution.codemods import Codemod, catalogue
from app.evolution.speedups import SPEEDUP
from app.healing.fix import unified_diff
from app.healing.localise import is_test_file
from app.healing.runner import CommandRunner, SandboxCommandRunner
from app.healing.suite import SuiteReport, run_suite
from app.workspace import (
    RepositoryPathRefused,
    copy_repository,
    read_text,
    regular_files,
    write_text,
)

log = logging.getLogger(__name__)

_SKIPPED_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", "build", "dist", ".tox"}


@dataclass(frozen=True)
class Improvement:
    """One validated modernisation: the files it changes and the test runs that allow it."""

    codemod: str
    title: str
    description: str
    diff: str
    changes: dict[str, str]
    tests_before: dict[str, int]
    tests_after: dict[str, int]
    benchmark: BenchmarkFigures | None = None  # a speedup's measured gain

    @property
    def files(self) -> tuple[str, ...]:
        return tuple(sorted(self.changes))


def _sources(root: Path) -> list[str]:
    found = []
    # Regular files only: a link in the repository is no module of it, whatever it names.
    for path in regular_files(root, keep_directory=lambda name: name not in _SKIPPED_DIRS):
        if path.endswith(".py") and not is_test_file(path):
            found.append(path)
    return sorted(found, key=lambda path: path.split("/"))


def rewrite(root: Path, codemod: Codemod) -> dict[str, str]:
    """New texts of every non-test module the codemod changes (unparsable files are skipped)."""
    changes: dict[str, str] = {}
    for path in _sources(root):
        try:
            source = read_text(root, path)
            updated = codemod.apply(source)
        except (UnicodeDecodeError, cst.ParserSyntaxError, RepositoryPathRefused):
            continue
        if updated != source:
            changes[path] = updated
    return changes


def is_speedup(codemod: Codemod) -> bool:
    return getattr(codemod, "kind", None) == SPEEDUP


def _green(report: SuiteReport) -> bool:
    return report.readable and report.total > 0 and not report.failed


async def _suite(
    runner: CommandRunner,
    root: Path,
    changes: dict[str, str],
    tests: RepositoryTests,
    seconds: float,
) -> SuiteReport:
    with tempfile.TemporaryDirectory(prefix="kintsugi-improve-") as scratch:
        copy = Path(scratch) / "repo"
        copy_repository(root, copy, ignore=shutil.ignore_patterns(".git", "__pycache__"))
        for path, text in changes.items():
            write_text(copy, path, text)
        return await run_suite(
            runner, copy, tests.command, timeout_seconds=seconds, environment=tests.environment
        )


async def propose_improvements(
    repo_path: Path,
    *,
    runner: CommandRunner | None = None,
    tests: RepositoryTests,
    codemods: Sequence[Codemod] | None = None,
    max_proposals: int = 3,
    timeout_seconds: float = 300.0,
    benchmark_command: str | None = None,
    benchmark_repetitions: int = REPETITIONS,
    declined: list[str] | None = None,
) -> list[Improvement]:
    """Codemods whose rewrite keeps the repository's suite green, each with its diff.

    Nothing is proposed for a repository whose suite is not green to begin with: there would
    be no evidence that a change is harmless. Each proposal's suite runs in the sandbox. A
    speedup is proposed only when `benchmark_command` runs measurably faster after it (see
    `app.evolution.benchmark`); never without figures. Why a rewrite was not proposed is
    appended to `declined`, when given."""
    declined = declined if declined is not None else []
    runner = runner or SandboxCommandRunner()
    baseline = await _suite(runner, repo_path, {}, tests, timeout_seconds)
    if not _green(baseline):
        log.info("no improvements: the suite is not green", extra={"repo": str(repo_path)})
        return []
    proposals: list[Improvement] = []
    for codemod in codemods if codemods is not None else catalogue():
        if len(proposals) >= max_proposals:
            break
        changes = rewrite(repo_path, codemod)
        if not changes:
            continue
        if is_speedup(codemod) and not benchmark_command:
            declined.append(
                f"`{codemod.name}` would change {len(changes)} file(s), but a speedup needs "
                "measured figures: declare `benchmark_command` in `.github/kintsugi.yml`"
            )
            continue
        after = await _suite(runner, repo_path, changes, tests, timeout_seconds)
        if not _green(after) or not baseline.passed <= after.passed:
            log.info("codemod rejected by the suite", extra={"codemod": codemod.name})
            declined.append(f"`{codemod.name}` made a test fail in the sandbox")
            continue
        figures: BenchmarkFigures | None = None
        if is_speedup(codemod):
            assert benchmark_command is not None
            try:
                figures = await measure(
                    runner,
                    repo_path,
                    changes,
                    benchmark_command,
                    repetitions=benchmark_repetitions,
                    timeout_seconds=timeout_seconds,
                    environment=tests.environment,
                )
            except BenchmarkFailed as error:
                declined.append(f"`{codemod.name}`: the benchmark did not run clean ({error})")
                continue
            log.info(
                "speedup measured",
                extra={"codemod": codemod.name, "benchmark": figures.to_dict()},
            )
            if not figures.faster:
                declined.append(f"`{codemod.name}` is not measurably faster: {figures.verdict()}")
                continue
        originals = {path: read_text(repo_path, path) for path in changes}
        proposals.append(
            Improvement(
                codemod=codemod.name,
                title=codemod.title,
                description=(
                    f"{codemod.title} in {len(changes)} file(s); the test suite passes before "
                    f"({baseline.counts().get('passed', 0)} tests) and after "
                    f"({after.counts().get('passed', 0)} tests)."
                    + (f" Benchmark: {figures.verdict()}." if figures is not None else "")
                ),
                diff=unified_diff(originals, changes),
                changes=changes,
                tests_before=baseline.counts(),
                tests_after=after.counts(),
                benchmark=figures,
            )
        )
    return proposals
