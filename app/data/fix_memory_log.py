"""Fix memory from the log: what maintainers did with fix pull requests, remembered per process.

Qdrant's embedded on-disk mode admits one process, and the event log is the source of truth
anyway, so every process keeps its own in-memory `FixMemory` and fills it from the log: at first
use it catches up over every `healing.pr_merged` / `pr_rejected` / `pr_reverted` event stored,
and before each recall it reads the outcomes stored since (one indexed select when there are
none). Each outcome is joined with its case — the `healing.case_opened` incident and the
`healing.fix_validated` diff, found by `case_id` in the outcome's stream — and remembered under
the key (repository, fingerprint, diff), so replaying an outcome changes nothing and a later
outcome for the same fix (closed, then reopened and merged; merged, then reverted) replaces the
earlier one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from app.data.event_log import EventLog
from app.data.fix_memory import FixMemory, FixOutcome, RememberedFix, SimilarFix
from app.events.model import Event, EventType
from app.events.sql import SqlEventStore
from app.events.store import EventStore

log = logging.getLogger(__name__)

OUTCOMES: Mapping[str, FixOutcome] = {
    EventType.HEALING_PR_MERGED: FixOutcome.MERGED,
    EventType.HEALING_PR_REJECTED: FixOutcome.REJECTED,
    EventType.HEALING_PR_REVERTED: FixOutcome.REVERTED,
}
PAGE = 500


class OutcomeLog(Protocol):
    """What the catch-up reads: an `EventStore`, or the data layer's `EventLog`."""

    async def read_all(
        self, *, after: int = 0, limit: int = 1000, types: Sequence[str] | None = None
    ) -> list[Event]: ...

    async def read_stream(self, stream: str) -> list[Event]: ...


def outcome_log(store: EventStore) -> OutcomeLog:
    """The log the catch-up reads: through the data layer when the store is SQL (its stream
    reads batched), else the store itself."""
    return EventLog.over(store.engine) if isinstance(store, SqlEventStore) else store


class FixMemoryFromLog:
    """A `FixMemory` that is a projection of fix outcomes in the log (see the module's text)."""

    def __init__(self, log: OutcomeLog, memory: FixMemory | None = None) -> None:
        self._log = log
        self._memory = memory
        self._position = 0
        self._lock = asyncio.Lock()

    @property
    def memory(self) -> FixMemory:
        if self._memory is None:
            # Created on first use, so a process that never heals never loads qdrant-client.
            from app.data.vector import QdrantStore

            self._memory = FixMemory(QdrantStore(":memory:"))
        return self._memory

    @property
    def position(self) -> int:
        """The log position of the last outcome taken in."""
        return self._position

    async def catch_up(self) -> int:
        """Remember every outcome stored since the last catch-up; returns how many fixes."""
        async with self._lock:
            remembered = 0
            while True:
                outcomes = await self._log.read_all(
                    after=self._position, limit=PAGE, types=list(OUTCOMES)
                )
                if not outcomes:
                    return remembered
                fixes = await self._fixes(outcomes)
                await self.memory.remember(*fixes)
                self._position = max(e.position or 0 for e in outcomes)
                remembered += len(fixes)
                if len(outcomes) < PAGE:
                    return remembered

    async def similar(
        self,
        incident_text: str,
        limit: int = 5,
        *,
        outcome: FixOutcome | None = None,
        repository: str | None = None,
    ) -> list[SimilarFix]:
        """`FixMemory.similar`, after taking in the outcomes stored since the last call."""
        await self.catch_up()
        return await self.memory.similar(
            incident_text, limit, outcome=outcome, repository=repository
        )

    async def count(self) -> int:
        await self.catch_up()
        return await self.memory.count()

    def for_repository(self, repository: str) -> RepositoryFixMemory:
        """The fixes of one repository only: what healing that repository is shown, so no
        repository's code reaches another's prompt or pull request."""
        return RepositoryFixMemory(self, repository)

    async def _fixes(self, outcomes: list[Event]) -> list[RememberedFix]:
        streams = list(dict.fromkeys(e.stream for e in outcomes))
        # Asked together, so the data layer's log reads all these streams in one select.
        read = await asyncio.gather(*(self._log.read_stream(s) for s in streams))
        cases = dict(zip(streams, read, strict=True))
        latest: dict[str, RememberedFix] = {}
        for outcome in outcomes:
            fix = remembered_fix(outcome, cases[outcome.stream])
            if fix is None:
                log.info(
                    "fix outcome without its case in the log, not remembered",
                    extra={"event_id": str(outcome.id), "case_id": outcome.payload.get("case_id")},
                )
                continue
            latest.pop(fix.memory_key, None)
            latest[fix.memory_key] = fix  # the later outcome of the same fix wins
        return list(latest.values())


class RepositoryFixMemory:
    """Recall limited to one repository's fixes (`app.healing.llm_context.FixExamples`)."""

    def __init__(self, memory: FixMemoryFromLog, repository: str) -> None:
        self.memory = memory
        self.repository = repository

    async def similar(self, incident_text: str, limit: int = 5) -> list[SimilarFix]:
        return await self.memory.similar(incident_text, limit, repository=self.repository)


def remembered_fix(outcome: Event, stream: Sequence[Event]) -> RememberedFix | None:
    """The fix an outcome event is about, with its incident, from the events of its case."""
    kind = OUTCOMES.get(outcome.type)
    case_id = outcome.payload.get("case_id")
    if kind is None or not isinstance(case_id, str):
        return None
    opened = _of_case(stream, EventType.HEALING_CASE_OPENED, case_id)
    validated = _of_case(stream, EventType.HEALING_FIX_VALIDATED, case_id)
    if opened is None or validated is None:
        return None
    diff = validated.payload.get("diff")
    if not isinstance(diff, str) or not diff.strip():
        return None
    exception_type, message, frames, code_context = _incident(opened.payload)
    strategy = ":".join(
        str(validated.payload[k])
        for k in ("strategy", "operator")
        if isinstance(validated.payload.get(k), str)
    )
    return RememberedFix(
        incident_id=_text(outcome.payload.get("fingerprint"))
        or _text(opened.payload.get("fingerprint"))
        or case_id,
        exception_type=exception_type,
        message=message,
        frames=frames,
        code_context=code_context,
        diff=diff,
        outcome=kind,
        repository=_text(outcome.payload.get("repository"))
        or _text(opened.payload.get("repository")),
        strategy=strategy,
    )


def _of_case(stream: Sequence[Event], kind: str, case_id: str) -> Event | None:
    return next(
        (e for e in reversed(stream) if e.type == kind and e.payload.get("case_id") == case_id),
        None,
    )


def _incident(opened: Mapping[str, Any]) -> tuple[str, str, tuple[str, ...], str]:
    """Exception type, message, `file:function` frames and the crash line of a recorded case."""
    data = opened.get("incident_data")
    exceptions = data.get("exceptions") if isinstance(data, Mapping) else None
    raised = exceptions[-1] if isinstance(exceptions, list) and exceptions else None
    if not isinstance(raised, Mapping):
        # A case recorded before whole incidents were: "Type: message" is all there is.
        summary = _text(opened.get("incident"))
        kind, _, message = summary.partition(": ")
        return kind, message, (), ""
    frames = [f for f in raised.get("frames") or [] if isinstance(f, Mapping)]
    return (
        _text(raised.get("type")),
        _text(raised.get("value")),
        tuple(f"{_text(f.get('filename'))}:{_text(f.get('function'))}" for f in frames),
        _text(frames[-1].get("context_line")).strip() if frames else "",
    )


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""
