"""A variant's budget wrapper keeps the wrapped strategy's own limits."""

from __future__ import annotations

from collections.abc import AsyncIterator

from app.evolution.wiring import BudgetedStrategy
from app.healing.candidates import Candidate, RepairContext


class OneAtATime:
    name = "llm"
    parallel = 1

    async def propose(self, context: RepairContext) -> AsyncIterator[Candidate]:
        return
        yield  # an async generator that proposes nothing


class Unbounded:
    name = "search"

    async def propose(self, context: RepairContext) -> AsyncIterator[Candidate]:
        return
        yield


def test_the_wrapper_keeps_a_strategys_parallel_cap() -> None:
    assert BudgetedStrategy(OneAtATime(), limit=3).parallel == 1  # type: ignore[attr-defined]
    assert not hasattr(BudgetedStrategy(Unbounded(), limit=3), "parallel")
