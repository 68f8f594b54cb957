"""Recorded live cases as replay cases: each `healing.case_opened` that kept its whole incident,
test command, repository and commit, checked out again at that commit, with the fix merged for
it (if any) as the reference for agreement."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from app.environments.config import EnvironmentConfig
from app.events.model import Event, EventType
from app.evolution.analysis import case_records
from app.evolution.corpus import ReferenceFix, ReplayCase
from app.healing.incidents.model import (
    ExceptionInfo,
    FailingTest,
    Frame,
    Incident,
    IncidentSource,
)

log = logging.getLogger(__name__)

RECORDED = "recorded"


class UnreadableRecord(ValueError):
    """A recorded incident that does not rebuild into an `Incident`."""


@dataclass(frozen=True)
class RecordedCase:
    """One live case as the log kept it, enough to heal it again."""

    case_id: str
    repository: str
    commit: str
    test_command: str
    incident_data: Mapping[str, Any]
    fingerprint: str | None = None
    reference: ReferenceFix | None = None  # the fix maintainers merged for this case

    @property
    def name(self) -> str:
        return f"{self.repository}#{self.case_id}"


class Checkouts(Protocol):
    """Puts `repository` at `commit` into the empty directory `into`; raises when it cannot.
    Returns the checkout's environment overrides (its config's `environment:` section), so a
    replay builds the environment a live heal of that commit would."""

    async def check_out(
        self, repository: str, commit: str, into: Path
    ) -> EnvironmentConfig | None: ...


@dataclass(frozen=True)
class SkippedCase:
    name: str
    reason: str


@dataclass
class RecordedReplay:
    """The recorded cases ready to replay in this run, and the ones that could not be."""

    cases: list[ReplayCase] = field(default_factory=list)
    skipped: list[SkippedCase] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "replayed": len(self.cases),
            "skipped": len(self.skipped),
            "skip_reasons": {s.name: s.reason for s in self.skipped},
        }


def _frame(data: Mapping[str, Any]) -> Frame:
    line = data.get("lineno")
    variables = data.get("vars")
    return Frame(
        filename=str(data["filename"]),
        function=str(data.get("function") or "?"),
        lineno=line if isinstance(line, int) else None,
        module=data.get("module"),
        context_line=data.get("context_line"),
        in_app=data.get("in_app"),
        vars=dict(variables) if isinstance(variables, dict) else {},
    )


def _exception(data: Mapping[str, Any]) -> ExceptionInfo:
    return ExceptionInfo(
        type=str(data["type"]),
        value=str(data.get("value") or ""),
        frames=tuple(_frame(f) for f in data.get("frames") or ()),
    )


def incident_from_data(data: Mapping[str, Any]) -> Incident:
    """The `Incident` a case's `incident_data` was written from (`dataclasses.asdict` as JSON)."""
    try:
        exceptions = tuple(_exception(e) for e in data["exceptions"])
        failing = tuple(
            FailingTest(
                str(t["node_id"]),
                _exception(t["exception"]) if isinstance(t.get("exception"), dict) else None,
            )
            for t in data.get("failing_tests") or ()
        )
        release = data.get("release")
        incident = Incident(
            source=IncidentSource(str(data["source"])),
            exceptions=exceptions,
            failing_tests=failing,
            release=str(release) if release else None,
            title=str(data.get("title") or ""),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise UnreadableRecord(f"the recorded incident does not read back: {error!r}") from None
    if not incident.exceptions:
        raise UnreadableRecord("the recorded incident holds no exception")
    return incident


def recorded_cases(events: Iterable[Event], *, repository: str | None = None) -> list[RecordedCase]:
    """Replayable cases, newest first: those whose `case_opened` kept the incident, the test
    command, the repository and the commit. A failure healed again at the same commit counts
    once (its newest case, whose pull-request fate is the latest word)."""
    events = list(events)
    fates = {r.case_id: r for r in case_records(events)}
    found: list[RecordedCase] = []
    seen: set[tuple[str, str, str]] = set()
    opened = [e for e in events if e.type == EventType.HEALING_CASE_OPENED]
    for event in sorted(opened, key=lambda e: e.position or 0, reverse=True):
        payload = event.payload
        case_id, data = payload.get("case_id"), payload.get("incident_data")
        repo, commit = payload.get("repository"), payload.get("commit")
        command = payload.get("test_command")
        if not (
            isinstance(case_id, str)
            and isinstance(data, dict)
            and isinstance(repo, str)
            and isinstance(commit, str)
            and isinstance(command, str)
        ):
            continue  # recorded before cases kept their inputs, or healed outside a repository
        if repository is not None and repo != repository:
            continue
        key = (repo, commit, str(payload.get("fingerprint")))
        if key in seen:
            continue
        seen.add(key)
        fate = fates.get(case_id)
        merged = fate is not None and fate.pull_request == "merged" and bool(fate.diff)
        reference = ReferenceFix(fate.location, fate.diff or "") if fate and merged else None
        found.append(
            RecordedCase(
                case_id=case_id,
                repository=repo,
                commit=commit,
                test_command=command,
                incident_data=data,
                fingerprint=payload.get("fingerprint"),
                reference=reference,
            )
        )
    return found


def recorded_installations(events: Iterable[Event]) -> dict[str, int]:
    """Each repository's installation as its newest `case_opened` recorded it: in the payload,
    or else in the metadata the causing webhook passed on. Repositories whose cases recorded
    none (Sentry cases from before the payload kept it) are absent."""
    found: dict[str, int] = {}
    opened = [e for e in events if e.type == EventType.HEALING_CASE_OPENED]
    for event in sorted(opened, key=lambda e: e.position or 0, reverse=True):
        repo = event.payload.get("repository")
        installation = event.payload.get("installation_id", event.metadata.installation_id)
        if isinstance(repo, str) and isinstance(installation, int) and repo not in found:
            found[repo] = installation
    return found


class RecordedSource:
    """Recorded cases for one evolution run: the newest `max_cases` (of one repository, or of
    all), each checked out at its commit into a scratch directory that lives as long as the run.
    A case that cannot be checked out or read back is skipped with its reason, never fatal."""

    def __init__(
        self,
        checkouts: Checkouts,
        *,
        repository: str | None = None,
        max_cases: int = 5,
        scratch_root: Path | None = None,
    ) -> None:
        self.checkouts = checkouts
        self.repository = repository
        self.max_cases = max_cases
        self.scratch_root = scratch_root

    @asynccontextmanager
    async def open(self, events: Iterable[Event]) -> AsyncIterator[RecordedReplay]:
        chosen = recorded_cases(events, repository=self.repository)[: self.max_cases]
        prepared = RecordedReplay()
        with tempfile.TemporaryDirectory(prefix="kintsugi-recorded-", dir=self.scratch_root) as tmp:
            for index, case in enumerate(chosen):
                try:
                    incident = incident_from_data(case.incident_data)
                    root = Path(tmp) / f"case-{index}"
                    overrides = await self.checkouts.check_out(case.repository, case.commit, root)
                except Exception as error:  # one lost snapshot is a skipped case, not the end
                    reason = str(error)[:300] or type(error).__name__
                    log.warning(
                        "recorded case skipped",
                        extra={
                            "case_id": case.case_id,
                            "repository": case.repository,
                            "commit": case.commit,
                            "reason": reason,
                        },
                    )
                    prepared.skipped.append(SkippedCase(case.name, reason))
                    continue
                prepared.cases.append(
                    ReplayCase(
                        name=case.name,
                        kind=RECORDED,
                        root=root,
                        test_command=case.test_command,
                        recorded=incident,
                        reference=case.reference,
                        environment=overrides,
                    )
                )
            yield prepared
