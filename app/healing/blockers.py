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
        return Blocker(_not_importable(sorted(set(missing.values())), files), output)
    return None


def _not_importable(modules: list[str], files: RepositoryFiles) -> str:
    names = ", ".join(modules)
    if all(_provided(module, files) for module in modules):
        return (
            f"the tests could not import {names}, the repository's own code, on the unchanged "
            "code: it is not on the path (a `src/` layout that is not installed? declare the "
            "project in pyproject.toml, or set `environment.test_command` with PYTHONPATH in "
            ".github/kintsugi.yml)"
        )
    return (
        f"the tests could not import {names} on the unchanged code: not installed in the "
        "repository's environment (declare it in the project's dependencies, or set "
        "`environment.install` in .github/kintsugi.yml)"
    )


def missing_modules(report: SuiteReport, files: RepositoryFiles) -> dict[str, str]:
    """Failed tests whose error is an import the environment cannot satisfy, with the module:
    one that is not the repository's own (not installed), or one of its own that exists but
    is not on the path (a `src/` layout not installed). A missing module of the repository's
    own package that no file provides is a bug in the code, and stays out."""
    own = {path.split("/")[0].removesuffix(".py") for path in files.paths}
    own |= {part for path in files.paths for part in path.split("/")[:-1]}
    missing: dict[str, str] = {}
    for node, chain in report.chains.items():
        if node not in report.failed or not chain:
            continue
        last = chain[-1]
        if last.short_type not in _IMPORT_ERRORS:
            continue
        found = _MISSING_MODULE.search(last.value)
        if found is None:
            continue
        module = found.group(1)
        if module.split(".")[0] not in own or _provided(module, files):
            missing[node] = module
    return missing


def _provided(module: str, files: RepositoryFiles) -> bool:
    """Whether some file of the repository is `module` (under any directory, `src/` too)."""
    tail = module.replace(".", "/")
    return any(
        path == f"{tail}.py"
        or path.endswith((f"/{tail}.py", f"/{tail}/__init__.py"))
        or path == f"{tail}/__init__.py"
        for path in files.paths
    )


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
