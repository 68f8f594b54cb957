"""`/fix <description>`: a regression test written by the LLM from the description, run in the
sandbox, and — only when it fails — the failure healed like any other."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.commands.parse import CommandRequest, clean_text
from app.commands.permissions import issue_text_trusted
from app.data.ports import Cache
from app.environments.repository_tests import RepositoryTests
from app.errors import PermanentError
from app.github.api import RepositoryApi
from app.github.fix_pr import Reproduction
from app.github.fix_suite import reproduce
from app.github.git import Checkout
from app.healing.blockers import Blocker
from app.healing.incidents import UnreadableIncident
from app.healing.llm_tests import WrittenTest, write_regression_test
from app.healing.runner import CommandRunner
from app.healing.suite import SuiteReport, incident_from_suite
from app.workspace import write_text

log = logging.getLogger(__name__)

NO_DESCRIPTION = (
    "`/fix` needs a description of the bug after the command, for example "
    "`/fix the total ignores the quantity`."
)
# A test that cannot even import or parse shows a mistake in the test, not the bug.
_BROKEN_TEST = frozenset({"ImportError", "ModuleNotFoundError", "SyntaxError", "NameError"})
# What pytest reports, with no traceback, for a test module that fails to import.
_COLLECTION_FAILURE = "collection failure"


async def bug_description(
    request: CommandRequest, args: str, api: RepositoryApi, cache: Cache
) -> str:
    """The command's words, with the issue's title and body when whoever wrote the issue may
    run commands too (text from anyone else is not trusted into the prompt)."""
    parts = [clean_text(args).strip()]
    if await issue_text_trusted(api, request, cache):
        title, body = clean_text(request.issue_title).strip(), clean_text(request.issue_body)
        if title:
            parts.append(f"Issue title: {title}")
        if body.strip():
            parts.append(f"Issue description:\n{body.strip()}")
    return "\n\n".join(part for part in parts if part)


class DescribedBug:
    """Reproduces a described bug on a fresh checkout: the `reproduce_first` step of healing."""

    def __init__(
        self,
        description: str,
        llm_for_case: Callable[[], Any],
        *,
        run_seconds: float,
        trigger_url: str,
        scratch_root: Path | None = None,
    ) -> None:
        self.description = description
        self.llm_for_case = llm_for_case
        self.run_seconds = run_seconds
        self.trigger_url = trigger_url
        self.scratch_root = scratch_root

    async def __call__(
        self, checkout: Checkout, runner: CommandRunner, tests: RepositoryTests
    ) -> Reproduction | str:
        try:
            written = await write_regression_test(
                self.llm_for_case(), self.description, checkout.root
            )
        except PermanentError as error:
            log.info("no usable regression test from the llm", extra={"reason": str(error)})
            return (
                "I asked the LLM for a test reproducing this description, but its answer was "
                f"not usable ({error}), so there is nothing to heal."
            )
        write_text(checkout.root, written.path, written.content)
        try:
            shown = await reproduce(
                checkout,
                runner,
                tests,
                run_seconds=self.run_seconds,
                scratch_root=self.scratch_root,
            )
        except UnreadableIncident as error:
            return self._not_reproduced(written, str(error))
        if isinstance(shown, Blocker):
            return self._not_reproduced(written, shown.text())
        _, report = shown
        mine = _failures_of(report, written.path)
        if not mine.failures:
            return self._not_reproduced(written, "it passes on the code as it is")
        broken = _broken(mine)
        if broken:
            return self._not_reproduced(written, broken)
        log.info(
            "described bug reproduced",
            extra={"test_file": written.path, "failing": len(mine.failures)},
        )
        return Reproduction(
            incident=incident_from_suite(mine),
            baseline=report,
            new_tests={written.path: written.content},
            note=(
                f"The bug was described in words in {self.trigger_url}. The regression test "
                f"`{written.path}` was written from that description by an LLM"
                + (f" ({written.explanation.rstrip('.')})" if written.explanation else "")
                + "; it failed before this change and passes with it."
            ),
        )

    def _not_reproduced(self, written: WrittenTest, why: str) -> str:
        return (
            "I could not reproduce the bug from this description: the test the LLM wrote from "
            f"it (`{written.path}`) does not fail the way the bug would ({why}). Nothing was "
            "changed. A more precise description, or `/heal` with a traceback, may work."
        )


def _broken(report: SuiteReport) -> str | None:
    """Why the written test fails for a reason of its own rather than the bug, if it does."""
    kinds = {test.exception.short_type for test in report.failures if test.exception}
    if _COLLECTION_FAILURE in kinds or any(_collected_module(t.node_id) for t in report.failures):
        return "its module cannot even be imported by pytest"
    broken = kinds & _BROKEN_TEST
    return f"it fails with {', '.join(sorted(broken))}" if broken else None


def _collected_module(node_id: str) -> bool:
    """pytest names a module that fails to import after the module itself (`a/b.py::a.b`)."""
    path, _, name = node_id.partition("::")
    return name == path.removesuffix(".py").replace("/", ".")


def _failures_of(report: SuiteReport, path: str) -> SuiteReport:
    """The run narrowed to the failures of the tests in `path`."""
    module = path.removesuffix(".py").replace("/", ".")
    failures = tuple(
        test
        for test in report.failures
        if test.node_id.startswith(path) or test.node_id.split("::")[0] == module
    )
    return SuiteReport(
        passed=report.passed,
        failed=frozenset(test.node_id for test in failures),
        failures=failures,
        chains={test.node_id: report.chains.get(test.node_id, ()) for test in failures},
        wall_seconds=report.wall_seconds,
        outcome=report.outcome,
    )
