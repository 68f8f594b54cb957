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


def test_every_variant_ends_with_the_revert_of_the_suspect_commit() -> None:
    from app.evolution.variant import StrategyVariant
    from app.evolution.wiring import strategies_for

    search_first = StrategyVariant().derive("search first", strategy_order=("search", "template"))

    assert [s.name for s in strategies_for(StrategyVariant())][-1] == "revert"
    assert [s.name for s in strategies_for(search_first)] == ["search", "template", "revert"]
