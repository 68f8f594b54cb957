"""The candidate search of one healing case: each strategy's proposals, screened, ranked and
validated a window at a time until one passes or the case's budget runs out. When every
strategy's proposals are spent with budget left, the search widens ring by ring (deeper
locations, more operator families, pairs of edits) and records whether the budget or the space
ran out."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from app.healing.blockers import Blocker
from app.healing.candidates import RINGS, Candidate, RepairContext, Strategy, rejection
from app.healing.fix import Fix
from app.healing.hang_guard import HangGuard
from app.healing.overfitting import OverfittingGuard, edit_size
from app.healing.ranking import RANK_WINDOW, PrecedentRanking
from app.healing.suite import SuiteReport
from app.healing.validate import Validator, Verdict


@dataclass(frozen=True)
class Budget:
    """Bounds of one case: wall-clock seconds, candidates validated, candidates run at once,
    seconds one run of the suite may take and, within it, each test (`hangs`); `warm`
    validates candidates in a warm worker where that applies (each pass confirmed cold)."""

    seconds: float = 300.0
    # Seconds are the bound that matters; this cap only stops a runaway. Warm validation tries
    # 2 to 10 candidates a second, so a cap of 200 ended cases with most of their seconds left.
    max_candidates: int = 5000
    parallel: int = 2
    run_timeout: float = 60.0
    hangs: HangGuard = field(default_factory=HangGuard)
    warm: bool = True


# Why the search ended: a fix passed, the case's seconds or candidates ran out, or every ring
# was tried with budget left; or no search could start (`blocked` says why).
StopReason = Literal["fixed", "budget", "exhausted", "blocked"]


@dataclass
class HealingResult:
    """How a case ended: the fix (or None), what was tried on the way, and why the search
    stopped (`stopped`; `rings` is how many widening rings it reached); `blocked` says why no
    candidate could be tried at all (the environment, or tests that cannot run)."""

    case_id: str
    fingerprint: str
    fix: Fix | None
    reproduced: bool
    candidates_tried: int
    seconds: float
    rejections: list[tuple[str, str]] = field(default_factory=list)
    llm_cost_usd: float = 0.0
    stopped: StopReason = "exhausted"
    rings: int = 0
    blocked: Blocker | None = None
    validation: str = "cold"  # warm, or cold and why (`Validator.validation`)


# Records a candidate turned down before or by validation (the case's event log hears of it).
Reject = Callable[[Candidate, str], Awaitable[None]]


@dataclass
class CandidateSearch:
    """One case's search: what it validates against, and the result it counts into."""

    strategies: Sequence[Strategy]
    budget: Budget
    validator: Validator
    targets: frozenset[str]
    baseline: SuiteReport
    ranking: PrecedentRanking
    result: HealingResult
    reject: Reject

    async def run(self, context: RepairContext, deadline: float) -> Verdict | None:
        """The first candidate that passes validation, or None; `result.stopped` says why."""
        found = await self._search(context, deadline)
        if found is not None:
            self.result.stopped = "fixed"
        elif self._spent(deadline, self.budget.max_candidates):
            self.result.stopped = "budget"
        else:
            self.result.stopped = "exhausted"
        return found

    async def _search(self, context: RepairContext, deadline: float) -> Verdict | None:
        seen: set[str] = set()
        guard = OverfittingGuard.for_case(context)
        # A last-resort strategy (a revert) proposes before the others so that, when it has
        # something, the others leave it candidates and seconds to be tried in.
        held = {
            id(strategy): [candidate async for candidate in strategy.propose(context)]
            for strategy in self.strategies
            if getattr(strategy, "last_resort", False)
        }
        reserved = sum(len(candidates) for candidates in held.values())
        soft_deadline = deadline - (self._reserve_seconds() if reserved else 0.0)
        for strategy in self.strategies:
            last_resort = id(strategy) in held
            stop_at = deadline if last_resort else soft_deadline
            limit = self.budget.max_candidates - (0 if last_resort else reserved)
            if self._spent(stop_at, limit):
                continue
            proposals = _replay(held[id(strategy)]) if last_resort else strategy.propose(context)
            found = await self._try(strategy, proposals, context, seen, guard, stop_at, limit)
            if found is not None:
                return found
        # Every strategy's first proposals are spent: widen while budget is left.
        for ring in range(1, RINGS + 1):
            if self._spent(deadline, self.budget.max_candidates):
                return None
            self.result.rings = ring
            for strategy in self.strategies:
                widen = getattr(strategy, "widen", None)
                if widen is None or self._spent(deadline, self.budget.max_candidates):
                    continue
                found = await self._try(
                    strategy,
                    widen(context, ring),
                    context,
                    seen,
                    guard,
                    deadline,
                    self.budget.max_candidates,
                )
                if found is not None:
                    return found
        return None

    async def _try(
        self,
        strategy: Strategy,
        proposals: AsyncIterator[Candidate],
        context: RepairContext,
        seen: set[str],
        guard: OverfittingGuard,
        stop_at: float,
        limit: int,
    ) -> Verdict | None:
        """Screens, ranks and validates one stream of a strategy's proposals."""
        cap = getattr(strategy, "parallel", self.budget.parallel)
        parallel = max(1, min(self.budget.parallel, cap))
        # Ranking pulls a window of proposals before trying them; a strategy that paces its
        # own proposals (each waits for the verdict on the last) is tried as it proposes.
        paced = hasattr(strategy, "parallel")
        window = parallel if paced or not self.ranking.active else max(parallel, RANK_WINDOW)
        batch: list[Candidate] = []
        async for candidate in proposals:
            self.result.llm_cost_usd += candidate.cost_usd
            if self._spent(stop_at, limit):
                break
            if candidate.key in seen:
                continue
            seen.add(candidate.key)
            reason = rejection(candidate, context.files) or guard.refusal(candidate, context.files)
            if reason is not None:
                self.result.rejections.append((candidate.description, reason))
                await self.reject(candidate, reason)
                continue
            batch.append(candidate)
            if len(batch) >= window:
                ordered = self.ranking.order(batch, context.files)
                found = await self._validate_window(ordered, parallel, limit, stop_at, context)
                if found is not None:
                    return found
                batch = []
        ordered = self.ranking.order(batch, context.files)
        return await self._validate_window(ordered, parallel, limit, stop_at, context)

    def _spent(self, stop_at: float, limit: int) -> bool:
        return time.monotonic() >= stop_at or self.result.candidates_tried >= limit

    def _reserve_seconds(self) -> float:
        """Time held back for last-resort candidates: about two suite runs (the targets, then
        the whole suite), never more than a run's timeout or a quarter of the case."""
        needed = max(5.0, 4 * self.baseline.wall_seconds)
        return min(needed, self.budget.run_timeout, self.budget.seconds / 4)

    async def _validate_window(
        self,
        window: list[Candidate],
        parallel: int,
        limit: int,
        deadline: float,
        context: RepairContext,
    ) -> Verdict | None:
        """Validates a window of candidates in order, `parallel` at a time, until one passes."""
        for start in range(0, len(window), parallel):
            if start and self._spent(deadline, limit):
                return None
            found = await self._validate_batch(window[start : start + parallel], deadline, context)
            if found is not None:
                return found
        return None

    async def _validate_batch(
        self, batch: list[Candidate], deadline: float, context: RepairContext
    ) -> Verdict | None:
        if not batch:
            return None
        seconds_left = deadline - time.monotonic()
        if seconds_left <= 0:
            return None
        verdicts = await asyncio.gather(
            *(
                self.validator.validate(candidate, self.targets, self.baseline, seconds_left)
                for candidate in batch
            )
        )
        self.result.candidates_tried += len(batch)
        accepted = [verdict for verdict in verdicts if verdict.accepted]
        for verdict in verdicts:
            if not verdict.accepted:
                self.result.rejections.append((verdict.candidate.description, verdict.reason))
                await self.reject(verdict.candidate, verdict.reason)
        if not accepted:
            return None
        if not self.targets:
            # Nothing failed to begin with (a crash no test reproduces): "accepted" only says
            # nothing regressed, which says nothing of size, so the likeliest proposal wins.
            return accepted[0]
        # Among candidates that pass the failing tests the smallest edit wins (ties: the
        # likelier, proposed first).
        return min(accepted, key=lambda verdict: edit_size(verdict.candidate, context.files))


async def _replay(candidates: list[Candidate]) -> AsyncIterator[Candidate]:
    for candidate in candidates:
        yield candidate


def why_not_fixed(result: HealingResult) -> str:
    """Why a case ended without a fix: what stopped it before any candidate, or what it did
    try and why each kind of attempt failed."""
    if result.blocked is not None:
        return result.blocked.reason
    if not result.rejections:
        return "no strategy proposed a candidate for this incident"
    reasons = Counter(reason.strip().splitlines()[0][:160] for _, reason in result.rejections)
    listed = "; ".join(f"{reason} ({count}x)" for reason, count in reasons.most_common(3))
    return (
        f"{len(result.rejections)} candidate(s) refused or failed validation "
        f"({result.candidates_tried} validated); most common: {listed}"
    )
