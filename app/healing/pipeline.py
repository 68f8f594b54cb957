"""One healing case: incident → localise → reproduce → candidates → validate → the chosen fix."""

from __future__ import annotations

import inspect
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from app.environments.repository_tests import RepositoryTests
from app.events.model import Event, EventType
from app.healing.blockers import Blocker, baseline_blocker
from app.healing.candidate_search import Budget, CandidateSearch, HealingResult
from app.healing.candidates import Candidate, RepairContext, Strategy
from app.healing.fingerprint import fingerprint
from app.healing.fix import Evidence, Fix, confidence, new_fix_id, unified_diff
from app.healing.incidents.model import Incident
from app.healing.llm_context import FixExamples
from app.healing.llm_edits.redaction import redact
from app.healing.localise import (
    Location,
    RepositoryFiles,
    require_in_repository,
    suspicious_locations,
)
from app.healing.names import repository_names
from app.healing.ranking import PrecedentRanking
from app.healing.reproduce import build_reproduction
from app.healing.runner import CommandRunner
from app.healing.suite import SuiteReport
from app.healing.validate import Validator, Verdict
from app.logcontext import log_context

log = logging.getLogger(__name__)

Publish = Callable[[Event], Awaitable[Any] | None]
ExtraLocations = Callable[
    [Incident, RepositoryFiles, SuiteReport, RepositoryTests], Awaitable[list[Location]]
]
SOURCE = "kintsugi.healing"


class Healer:
    """Runs healing cases. Every step is appended as an event carrying the case id.

    With `fix_memory`, each strategy's candidates are tried in the order `PrecedentRanking`
    gives them: fixes like ones maintainers merged for similar incidents first, fixes like
    ones they rejected last."""

    def __init__(
        self,
        runner: CommandRunner,
        strategies: Sequence[Strategy],
        *,
        publish: Publish | None = None,
        budget: Budget | None = None,
        extra_locations: ExtraLocations | None = None,
        fix_memory: FixExamples | None = None,
    ) -> None:
        self.runner = runner
        self.strategies = list(strategies)
        self.publish = publish
        self.budget = budget or Budget()
        self.extra_locations = extra_locations
        self.fix_memory = fix_memory

    async def heal(
        self,
        root: Path,
        incident: Incident,
        *,
        tests: RepositoryTests,
        baseline: SuiteReport | None = None,
    ) -> HealingResult:
        """One case, every test run of it in `tests`' environment (built before the case and
        never during it); `baseline`, when given, is a run of `tests` on the unchanged code."""
        case_id = f"case-{uuid.uuid4().hex[:12]}"
        with log_context(case_id=case_id):
            return await self._heal(case_id, root, incident, tests, baseline)

    async def _heal(
        self,
        case_id: str,
        root: Path,
        incident: Incident,
        tests: RepositoryTests,
        baseline: SuiteReport | None,
    ) -> HealingResult:
        started = time.monotonic()
        deadline = started + self.budget.seconds
        files = RepositoryFiles(root)
        require_in_repository(incident, files)
        case_fingerprint = fingerprint(incident, files)
        stream = f"healing-{case_fingerprint}"
        await self._emit(
            stream,
            EventType.HEALING_CASE_OPENED,
            case_id,
            {
                "fingerprint": case_fingerprint,
                "incident": incident.summary,
                "source": incident.source.value,
                # The whole incident, so a recorded case can be replayed from the log alone;
                # frame variables were redacted when it was read, source lines are redacted here.
                "incident_data": _recorded(json.loads(json.dumps(asdict(incident), default=str))),
                "test_command": tests.command,
                "environment": tests.environment.key if tests.environment else None,
            },
        )

        reproduction = None
        targets = frozenset(test.node_id for test in incident.failing_tests)
        if not targets:
            reproduction = build_reproduction(incident, files, case_fingerprint[:8])
        validator = Validator(
            self.runner,
            files.root,
            tests,
            run_timeout=self.budget.run_timeout,
            reproduction=reproduction,
            hangs=self.budget.hangs,
            warm=self.budget.warm,
        )
        # The warm worker starts beside the baseline run; it ends with the case, whatever
        # ends the case.
        validator.prepare()
        try:
            if baseline is None or reproduction is not None:
                baseline = await validator.baseline()
            reproduced = bool(targets)
            if reproduction is not None:
                chain = baseline.chains.get(reproduction.node_id, ())
                if reproduction.node_id in baseline.failed and any(
                    e.short_type == incident.exception.short_type for e in chain
                ):
                    reproduced = True
                    targets = frozenset({reproduction.node_id})
                else:
                    reproduction = None
                    await validator.without_reproduction()
                    baseline = await validator.baseline()
            blocker = baseline_blocker(baseline, files, targets)
            if blocker is not None:
                return await self._blocked(stream, case_id, case_fingerprint, started, blocker)
            locations = suspicious_locations(incident, files)
            if self.extra_locations is not None:
                extra = await self.extra_locations(incident, files, baseline, tests)
                locations = _merge(locations, extra)
            context = RepairContext(
                files, incident, tuple(locations), repository_names(files), deadline=deadline
            )
            ranking = (
                await PrecedentRanking.recall(self.fix_memory, incident, files)
                if self.fix_memory is not None
                else PrecedentRanking()
            )
            log.info(
                "healing case opened",
                extra={
                    "case_id": case_id,
                    "fingerprint": case_fingerprint,
                    "reproduced": reproduced,
                    "locations": len(locations),
                    "precedents": len(ranking.precedents),
                },
            )

            result = HealingResult(case_id, case_fingerprint, None, reproduced, 0, 0.0)

            async def reject(candidate: Candidate, reason: str) -> None:
                await self._reject(stream, case_id, candidate, reason)

            search = CandidateSearch(
                self.strategies, self.budget, validator, targets, baseline, ranking, result, reject
            )
            verdict = await search.run(context, deadline)
            result.validation = validator.validation
            result.seconds = time.monotonic() - started
            if verdict is None:
                await self._emit(
                    stream,
                    EventType.HEALING_FIX_NOT_FOUND,
                    case_id,
                    {
                        "fingerprint": case_fingerprint,
                        "candidates_tried": result.candidates_tried,
                        "reproduced": reproduced,
                        "seconds": round(result.seconds, 2),
                        "validation": result.validation,
                        "llm_cost_usd": round(result.llm_cost_usd, 6),
                        "stopped": result.stopped,
                    },
                )
                return result
            result.fix = self._fix(
                verdict,
                files,
                incident,
                case_id,
                case_fingerprint,
                baseline,
                targets,
                reproduced,
                result,
                reproduction.node_id if reproduction else None,
            )
            if reproduction is not None:
                result.fix.new_tests[reproduction.path] = reproduction.source
            await self._emit(
                stream,
                EventType.HEALING_FIX_VALIDATED,
                case_id,
                {**result.fix.to_dict(), "stopped": result.stopped},
            )
            return result
        finally:
            await validator.close()

    async def _blocked(
        self, stream: str, case_id: str, case_fingerprint: str, started: float, blocker: Blocker
    ) -> HealingResult:
        """The case ends before any candidate, saying why (in the result and the event)."""
        seconds = time.monotonic() - started
        log.info("healing case blocked", extra={"case_id": case_id, "reason": blocker.reason})
        await self._emit(
            stream,
            EventType.HEALING_FIX_NOT_FOUND,
            case_id,
            {
                "fingerprint": case_fingerprint,
                "candidates_tried": 0,
                "reproduced": False,
                "seconds": round(seconds, 2),
                "llm_cost_usd": 0.0,
                "reason": redact(blocker.reason),
                "output": redact(blocker.output),
            },
        )
        return HealingResult(
            case_id, case_fingerprint, None, False, 0, seconds, blocked=blocker, stopped="blocked"
        )

    def _fix(
        self,
        verdict: Verdict,
        files: RepositoryFiles,
        incident: Incident,
        case_id: str,
        case_fingerprint: str,
        baseline: SuiteReport,
        targets: frozenset[str],
        reproduced: bool,
        result: HealingResult,
        reproduction: str | None,
    ) -> Fix:
        candidate = verdict.candidate
        originals = {path: files.read(path) for path in candidate.changes}
        after = verdict.suite.counts() if verdict.suite else {}
        regressions = len(baseline.passed - verdict.suite.passed) if verdict.suite else 0
        location = candidate.location
        where = (
            f"{location.path}:{location.line} in {location.function}"
            if location
            else "the repository"
        )
        root_cause = (
            f"{incident.summary} — raised at {where}. "
            f"Fix ({candidate.strategy}/{candidate.operator}): {candidate.description}."
        )
        return Fix(
            id=new_fix_id(),
            case_id=case_id,
            fingerprint=case_fingerprint,
            strategy=candidate.strategy,
            operator=candidate.operator,
            description=candidate.description,
            diff=unified_diff(originals, candidate.changes),
            files=tuple(sorted(candidate.changes)),
            changes=dict(candidate.changes),
            root_cause=root_cause,
            location=f"{location.path}:{location.line}" if location else None,
            confidence=confidence(
                candidate.strategy, reproduced, after.get("total", 0), regressions
            ),
            evidence=Evidence(
                reproduced=reproduced,
                reproduction=reproduction,
                target_tests=tuple(sorted(targets)),
                before=baseline.counts(),
                after=after,
                candidates_tried=result.candidates_tried,
                seconds=result.seconds,
                llm_cost_usd=result.llm_cost_usd,
            ),
        )

    async def _reject(self, stream: str, case_id: str, candidate: Candidate, reason: str) -> None:
        await self._emit(
            stream,
            EventType.HEALING_CANDIDATE_REJECTED,
            case_id,
            {
                "strategy": candidate.strategy,
                "operator": candidate.operator,
                "description": candidate.description,
                "files": sorted(candidate.changes),
                "reason": reason,
            },
        )

    async def _emit(
        self, stream: str, kind: EventType, case_id: str, payload: dict[str, Any]
    ) -> None:
        if self.publish is None:
            return
        event = Event(
            type=kind, source=SOURCE, stream=stream, payload={"case_id": case_id, **payload}
        )
        outcome = self.publish(event)
        if inspect.isawaitable(outcome):
            await outcome


def _merge(first: list[Location], second: list[Location]) -> list[Location]:
    ranked = {(loc.path, loc.line): loc for loc in second}
    for loc in first:
        ranked[(loc.path, loc.line)] = loc  # frames of the incident outrank the spectrum
    return sorted(ranked.values(), key=lambda loc: -loc.score)


def _recorded(value: Any) -> Any:
    """`value` with every string passed through the secret patterns (a line of code such as
    `client(api_token="…")` can carry a literal secret)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: _recorded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_recorded(item) for item in value]
    return value
