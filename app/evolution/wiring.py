"""Turning a `StrategyVariant` into the healer's strategies, and into a `Healer`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from itertools import combinations
from typing import Any

from app.evolution.variant import StrategyVariant
from app.healing.candidate_search import Budget
from app.healing.candidates import (
    Candidate,
    RepairContext,
    SearchStrategy,
    Strategy,
    TemplateStrategy,
)
from app.healing.engine import build_healer, default_strategies
from app.healing.llm_context import FixExamples
from app.healing.pipeline import Healer, Publish
from app.healing.runner import CommandRunner
from app.healing.search import Mutant, build_site, single_edits
from app.healing.templates import catalogue

# As in the healer's own mutant source: pairs come from the likeliest single edits only.
_PAIR_POOL = 60


def prioritised_mutants(
    offsets: Mapping[str, float], max_pairs: int
) -> Callable[[str, int], Iterator[Mutant]]:
    """The search's mutant source, each operator's edits moved by its offset (lower: sooner)."""

    def weight(operator: str, base: float) -> float:
        return base + offsets.get(operator, 0.0)

    def mutants(source: str, line: int) -> Iterator[Mutant]:
        site = build_site(source, line)
        seen = {source}
        singles = sorted(single_edits(site), key=lambda e: weight(e.operator, e.weight))
        for edit in singles:
            mutated = site.apply([edit])
            if mutated not in seen:
                seen.add(mutated)
                yield Mutant(edit.operator, edit.description, mutated)
        pooled = [edit for edit in singles if edit.kind == "replace"][:_PAIR_POOL]
        pairs = sorted(
            (
                (first, second)
                for first, second in combinations(pooled, 2)
                if not site.encloses(first.target, second.target)
                and not site.encloses(second.target, first.target)
            ),
            key=lambda p: weight(p[0].operator, p[0].weight) + weight(p[1].operator, p[1].weight),
        )
        emitted = 0
        for first, second in pairs:
            if emitted >= max_pairs:
                return
            mutated = site.apply([first, second])
            if mutated in seen:
                continue
            seen.add(mutated)
            emitted += 1
            yield Mutant(
                f"{first.operator}+{second.operator}",
                f"{first.description}; {second.description}",
                mutated,
            )

    return mutants


class BudgetedStrategy:
    """A strategy cut off after `limit` proposals, so later strategies get their turn."""

    def __init__(self, inner: Strategy, limit: int) -> None:
        self.inner = inner
        self.name = inner.name
        self.limit = limit
        # The pipeline honours a strategy's own cap (the LLM's is 1: each paid call waits for
        # the previous candidate's verdict); wrapping must not hide it.
        cap = getattr(inner, "parallel", None)
        if cap is not None:
            self.parallel = cap

    async def propose(self, context: RepairContext) -> AsyncIterator[Candidate]:
        proposed = 0
        async for candidate in self.inner.propose(context):
            if proposed >= self.limit:
                return
            proposed += 1
            yield candidate


def strategies_for(
    variant: StrategyVariant,
    llm_provider: Any | None = None,
    fix_memory: FixExamples | None = None,
) -> list[Strategy]:
    """The variant's strategies in its order, each within its own budget; the LLM's is shown
    merged fixes of similar incidents from `fix_memory`, when given."""
    by_name = {template.name: template for template in catalogue()}
    built: dict[str, Strategy] = {
        "template": TemplateStrategy(
            [by_name[name] for name in variant.templates if name in by_name],
            max_locations=variant.template_max_locations,
        ),
        "search": SearchStrategy(
            prioritised_mutants(variant.operator_offsets, variant.max_pairs),
            max_locations=variant.search_max_locations,
            per_location=variant.search_per_location,
        ),
    }
    last_resorts: list[Strategy] = []
    for strategy in default_strategies(llm_provider, fix_memory):
        if strategy.name == "llm":
            # An LLM strategy that takes prompt guidance gets the variant's.
            if hasattr(strategy, "guidance"):
                setattr(strategy, "guidance", variant.prompt_guidance)  # noqa: B010
            built["llm"] = strategy
        elif getattr(strategy, "last_resort", False):
            # Not a knob of the variants: a revert of the suspect commit is always the last try.
            last_resorts.append(strategy)
    ordered: list[Strategy] = []
    for name in variant.strategy_order:
        found = built.get(name)
        if found is None:
            continue  # no LLM configured: the variant runs without it
        limit = variant.strategy_budgets.get(name)
        ordered.append(BudgetedStrategy(found, limit) if limit is not None else found)
    return [*ordered, *last_resorts]


def healer_for(
    variant: StrategyVariant,
    *,
    runner: CommandRunner | None = None,
    llm_provider: Any | None = None,
    publish: Publish | None = None,
    budget: Budget | None = None,
    fix_memory: FixExamples | None = None,
) -> Healer:
    """A `Healer` wired as `build_healer` does, with the variant's strategies (and, with
    `fix_memory`, candidates ranked by precedent)."""
    return build_healer(
        runner=runner,
        llm_provider=llm_provider,
        publish=publish,
        budget=budget,
        strategies=strategies_for(variant, llm_provider, fix_memory),
        fix_memory=fix_memory,
    )
