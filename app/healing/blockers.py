"""Why a case cannot search at all: the repository's environment could not be built, or its
tests cannot judge a change on the unchanged code for reasons the incident does not explain."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from app.environments.recipe import EnvironmentUnavailable
from app.healing.localise import RepositoryFiles
from app.healing.suite import SuiteReport

_MISSING_MODULE = re.compile(r"No module named '([^']+)'")
_IMPORT_ERRORS = ("ModuleNotFoundError", "ImportError")
OUTPUT_TAIL = 2000


@dataclass(frozen=True)
class Blocker:
    """What stopped a case before any candidate: a sentence, and the tail of what the failing
    build or test run printed (exit code and stderr included)."""

    reason: str
    output: str = ""

    @classmethod
    def environment(cls, error: EnvironmentUnavailable) -> Blocker:
        return cls(
            f"the repository's environment is unavailable: {error.reason}",
            error.output[-OUTPUT_TAIL:],
        )

    def text(self) -> str:
        """The reason and the output, for a terminal or a log."""
        return f"{self.reason}\n{self.output}".strip()


def baseline_blocker(
    report: SuiteReport, files: RepositoryFiles, targets: frozenset[str] = frozenset()
) -> Blocker | None:
    """Why the run of the unchanged code cannot judge candidates, or None when it can: no
    readable report, no test collected, or failures that are only imports of modules the
    environment lacks (all the failures, with no incident's targets to judge by or no test
    passing, or all the failing targets)."""
    output = report.output_tail[-OUTPUT_TAIL:]
    if not report.readable:
        code = "none" if report.exit_code is None else str(report.exit_code)
        return Blocker(
            "the tests could not run on the unchanged code: the test command gave no readable "
            f"report (outcome {report.outcome}, exit code {code})",
            output,
        )
    if report.total == 0 and not report.skipped:
        code = "none" if report.exit_code is None else str(report.exit_code)
        return Blocker(
            f"the tests could not run on the unchanged code: no tests were collected "
            f"(exit code {code})",
            output,
        )
    missing = missing_modules(report, files)
    judged = targets & report.failed
    # A collection error ends pytest's session: nothing passes, and the targets never ran.
    only_missing = bool(missing) and report.failed <= missing.keys()
    if (only_missing and (not targets or not report.passed)) or (
        judged and judged <= missing.keys()
    ):
        names = ", ".join(sorted(set(missing.values())))
        return Blocker(
            f"the tests could not import {names} on the unchanged code: not installed in the "
            "repository's environment (declare it in the project's dependencies, or set "
            "`environment.install` in .github/kintsugi.yml)",
            output,
        )
    return None


def missing_modules(report: SuiteReport, files: RepositoryFiles) -> dict[str, str]:
    """Failed tests whose error is an import of a module that is not the repository's own,
    with that module's name: the environment lacks it, nothing a change to the code fixes."""
    own = {part.removesuffix(".py") for path in files.paths for part in path.split("/")}
    missing: dict[str, str] = {}
    for node, chain in report.chains.items():
        if node not in report.failed or not chain:
            continue
        last = chain[-1]
        if last.short_type not in _IMPORT_ERRORS:
            continue
        found = _MISSING_MODULE.search(last.value)
        if found and found.group(1).split(".")[0] not in own:
            missing[node] = found.group(1)
    return missing


def without_missing_modules(report: SuiteReport, files: RepositoryFiles) -> SuiteReport:
    """`report` without the failures that are the environment's, not the code's: an incident
    made of them could never be fixed by a change to the code."""
    missing = missing_modules(report, files)
    if not missing:
        return report
    return replace(
        report,
        failed=report.failed - missing.keys(),
        errored=report.errored - missing.keys(),
        failures=tuple(f for f in report.failures if f.node_id not in missing),
        chains={node: chain for node, chain in report.chains.items() if node not in missing},
    )
