"""The seed's in-process API: `SelfHealingCode.handle_error(exc, context)` → a validated `Fix`."""

from __future__ import annotations

import logging
import os
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

from app.environments.repository_tests import RepositoryTests
from app.errors import KintsugiError
from app.healing.candidate_search import Budget
from app.healing.engine import build_healer
from app.healing.fingerprint import fingerprint
from app.healing.fix import Fix
from app.healing.incidents.live import incident_from_exception
from app.healing.incidents.model import Frame, Incident
from app.healing.localise import RepositoryFiles
from app.healing.pipeline import Healer, Publish
from app.healing.runner import CommandRunner
from app.healing.suite import DEFAULT_TEST_COMMAND
from app.workspace import write_text

log = logging.getLogger(__name__)


class SelfHealingCode:
    """Heals the repository an exception came from: it is read with its frames' locals,
    reproduced as a test, fixed, validated in the sandbox and (with `apply`) written back.

    The repository is `context["repo_path"]`, else the current working directory;
    `context["file_path"]` (relative to it) and `context["line_number"]` point at the code
    when the exception's own frames do not reach the repository."""

    def __init__(
        self,
        llm_provider: Any | None = None,
        *,
        runner: CommandRunner | None = None,
        publish: Publish | None = None,
        budget: Budget | None = None,
        apply: bool = True,
        test_command: str = DEFAULT_TEST_COMMAND,
    ) -> None:
        self.llm_provider = llm_provider
        self.apply = apply
        self.test_command = test_command
        self._runner = runner
        self._publish = publish
        self._budget = budget or Budget(seconds=120.0)
        self._healer: Healer | None = None
        self._fixes: dict[str, Fix] = {}
        self._counts: Counter[str] = Counter()
        self._strategies: Counter[str] = Counter()
        self._seconds: list[float] = []

    def _get_healer(self) -> Healer:
        if self._healer is None:
            self._healer = build_healer(
                runner=self._runner,
                llm_provider=self.llm_provider,
                publish=self._publish,
                budget=self._budget,
            )
        return self._healer

    async def handle_error(
        self, exc: BaseException, context: dict[str, Any] | None = None
    ) -> Fix | None:
        context = context or {}
        root = _repository_root(context)
        incident = _with_context_frame(incident_from_exception(exc), root, context)
        self._counts["cases"] += 1
        try:
            files = RepositoryFiles(root)
            known = self._fixes.get(fingerprint(incident, files))
            if known is not None:
                # The same crash again: one case, one fix.
                self._counts["duplicates"] += 1
                return known
            # In-process, the crashed program's own interpreter is the environment it ran in.
            tests = RepositoryTests.without_environment(self.test_command)
            result = await self._get_healer().heal(root, incident, tests=tests)
        except KintsugiError as error:
            log.warning("cannot heal this error", extra={"error": str(error), "repo": str(root)})
            self._counts["rejected_inputs"] += 1
            return None
        self._seconds.append(result.seconds)
        if result.fix is None:
            self._counts["not_fixed"] += 1
            return None
        fix = result.fix
        self._fixes[fix.fingerprint] = fix
        self._counts["fixes_found"] += 1
        self._strategies[fix.strategy] += 1
        if self.apply:
            for path, text in {**fix.changes, **fix.new_tests}.items():
                write_text(root, path, text)
            self._counts["applied_fixes"] += 1
        return fix

    def get_healing_stats(self) -> dict[str, Any]:
        cases = self._counts["cases"] - self._counts["duplicates"]
        found = self._counts["fixes_found"]
        confidences = [fix.confidence for fix in self._fixes.values()]
        return {
            "total_errors": self._counts["cases"],
            "cases": cases,
            "fixes_found": found,
            "applied_fixes": self._counts["applied_fixes"],
            "not_fixed": self._counts["not_fixed"],
            "rejected_inputs": self._counts["rejected_inputs"],
            "duplicates": self._counts["duplicates"],
            "success_rate": round(100.0 * found / cases, 1) if cases else 0.0,
            "average_confidence": round(sum(confidences) / len(confidences), 2)
            if confidences
            else 0.0,
            "average_seconds": round(sum(self._seconds) / len(self._seconds), 2)
            if self._seconds
            else 0.0,
            "by_strategy": dict(self._strategies),
        }


def _repository_root(context: dict[str, Any]) -> Path:
    return Path(str(context.get("repo_path") or os.getcwd())).resolve()


def _with_context_frame(incident: Incident, root: Path, context: dict[str, Any]) -> Incident:
    """Adds the context's file and line as the innermost frame when no frame names that file."""
    file_path = context.get("file_path")
    line = context.get("line_number")
    if not isinstance(file_path, str) or not isinstance(line, int):
        return incident
    absolute = str((root / file_path).resolve())
    exception = incident.exception
    if any(Path(frame.filename).resolve() == Path(absolute) for frame in exception.frames):
        return incident
    frame = Frame(
        filename=absolute,
        function="<unknown>",
        lineno=line,
        context_line=context.get("code_snippet"),
    )
    extended = replace(exception, frames=(*exception.frames, frame))
    return replace(incident, exceptions=(*incident.exceptions[:-1], extended))
