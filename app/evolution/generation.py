"""Challengers: small, single mutations of the incumbent variant, deterministic for a seed."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from app.evolution.stats import BetaPosterior
from app.evolution.variant import SEARCH_OPERATORS, TEMPLATES, StrategyVariant

OFFSET_STEP = 8.0
BUDGET_FACTOR = 4
_IDENTITY = {"id", "version", "parent", "note"}
UNCAPPED_FROM = 400  # a per-strategy budget this large is no budget: drop it

Mutation = Callable[[StrategyVariant, random.Random], StrategyVariant | None]


def reorder(variant: StrategyVariant, rng: random.Random) -> StrategyVariant | None:
    """Move one strategy a place earlier."""
    order = list(variant.strategy_order)
    if len(order) < 2:
        return None
    i = rng.randrange(1, len(order))
    order[i - 1], order[i] = order[i], order[i - 1]
    return variant.derive(f"try {order[i - 1]} before {order[i]}", strategy_order=tuple(order))


def scale_budget(variant: StrategyVariant, rng: random.Random) -> StrategyVariant | None:
    """Scale one strategy's candidate budget up or down by BUDGET_FACTOR; a budget scaled
    past UNCAPPED_FROM is lifted altogether."""
    capped = sorted(variant.strategy_budgets)
    if not capped:
        name = rng.choice(list(variant.strategy_order))
        budgets = {**variant.strategy_budgets, name: 50}
        return variant.derive(f"cap {name} at 50 candidates", strategy_budgets=budgets)
    name = rng.choice(capped)
    amount = variant.strategy_budgets[name]
    budgets = dict(variant.strategy_budgets)
    if rng.random() < 0.7 or amount <= 1:
        if amount * BUDGET_FACTOR >= UNCAPPED_FROM:
            del budgets[name]
            return variant.derive(f"lift the {name} budget", strategy_budgets=budgets)
        budgets[name] = amount * BUDGET_FACTOR
        return variant.derive(
            f"raise the {name} budget to {budgets[name]}", strategy_budgets=budgets
        )
    budgets[name] = max(1, amount // BUDGET_FACTOR)
    return variant.derive(f"cut the {name} budget to {budgets[name]}", strategy_budgets=budgets)


def shift_operator(variant: StrategyVariant, rng: random.Random) -> StrategyVariant | None:
    """Move one search operator earlier or later; a moved operator may also go back to 0."""
    offsets = dict(variant.operator_offsets)
    moved = sorted(name for name, value in offsets.items() if value)
    if moved and rng.random() < 0.5:
        name = rng.choice(moved)
        del offsets[name]
        return variant.derive(f"restore {name}'s search priority", operator_offsets=offsets)
    name = rng.choice(SEARCH_OPERATORS)
    step = OFFSET_STEP if rng.random() < 0.5 else -OFFSET_STEP
    offsets[name] = max(-100.0, min(100.0, offsets.get(name, 0.0) + step))
    direction = "later" if step > 0 else "earlier"
    return variant.derive(f"try {name} edits {direction}", operator_offsets=offsets)


def restore_priorities(variant: StrategyVariant, rng: random.Random) -> StrategyVariant | None:
    """Drop every operator offset: back to the search's own likelihood order."""
    if not any(variant.operator_offsets.values()):
        return None
    return variant.derive("restore the search's own operator priorities", operator_offsets={})


def retemplate(variant: StrategyVariant, rng: random.Random) -> StrategyVariant | None:
    """Bring back a dropped template, or move one template a place earlier."""
    missing = [name for name in TEMPLATES if name not in variant.templates]
    if missing:
        name = rng.choice(missing)
        return variant.derive(f"add the {name} template", templates=(*variant.templates, name))
    if len(variant.templates) < 2:
        return None
    order = list(variant.templates)
    i = rng.randrange(1, len(order))
    order[i - 1], order[i] = order[i], order[i - 1]
    return variant.derive(f"try template {order[i - 1]} earlier", templates=tuple(order))


def scale_search(variant: StrategyVariant, rng: random.Random) -> StrategyVariant | None:
    """Widen or narrow the search: locations visited, edits per location, pairs."""
    field = rng.choice(("search_max_locations", "search_per_location", "max_pairs"))
    value = int(getattr(variant, field))
    new = value * 2 if rng.random() < 0.5 else max(1 if field != "max_pairs" else 0, value // 2)
    limits = {"search_max_locations": 64, "search_per_location": 5000, "max_pairs": 2000}
    new = min(new, limits[field])
    if new == value:
        return None
    return variant.derive(f"{field.replace('_', ' ')} {value} → {new}", **{field: new})


MUTATIONS: tuple[Mutation, ...] = (
    reorder,
    scale_budget,
    shift_operator,
    restore_priorities,
    retemplate,
    scale_search,
)


def by_priors(
    variant: StrategyVariant, priors: Mapping[str, BetaPosterior]
) -> StrategyVariant | None:
    """Strategies ordered by their acceptance posterior (stable for equal means)."""
    if not priors:
        return None
    order = tuple(
        sorted(
            variant.strategy_order,
            key=lambda name: -priors.get(name, BetaPosterior()).mean,
        )
    )
    if order == variant.strategy_order:
        return None
    return variant.derive("order strategies by merged-PR priors", strategy_order=order)


def combine(
    incumbent: StrategyVariant, promising: Sequence[StrategyVariant]
) -> StrategyVariant | None:
    """The incumbent with the changes of several promising challengers applied together.

    Single steps that each win a case or two never reach significance alone; their union
    may, and it is put to the same test as any other challenger."""
    base = incumbent.model_dump(exclude=_IDENTITY)
    merged: dict[str, Any] = {}
    notes = []
    for variant in promising:
        if variant.parent != incumbent.id:
            continue
        changed = {
            key: value
            for key, value in variant.model_dump(exclude=_IDENTITY).items()
            if value != base[key]
        }
        for key, value in changed.items():
            if isinstance(value, dict):
                merged[key] = {**merged.get(key, base[key]), **value}
                # a key the challenger dropped (a lifted budget, a restored offset) stays dropped
                for dropped in set(base[key]) - set(value):
                    merged[key].pop(dropped, None)
            else:
                merged[key] = value
        if changed:
            notes.append(variant.note)
    if len(notes) < 2:
        return None
    child = incumbent.derive("combine: " + "; ".join(notes)[:180], **merged)
    return None if child.behaviour_key == incumbent.behaviour_key else child


def challengers(
    incumbent: StrategyVariant,
    count: int,
    *,
    seed: int = 0,
    priors: Mapping[str, BetaPosterior] | None = None,
    promising: Sequence[StrategyVariant] = (),
) -> list[StrategyVariant]:
    """Up to `count` distinct challengers: the union of the last run's promising steps and
    the prior-ordered variant when there are such, then single mutations of the incumbent
    whose kinds take turns so one run tries several directions."""
    rng = random.Random(seed)
    found: dict[str, StrategyVariant] = {}
    combined = combine(incumbent, promising)
    if combined is not None and count > 0:
        found[combined.behaviour_key] = combined
    prior_ordered = by_priors(incumbent, priors or {})
    if prior_ordered is not None and len(found) < count:
        found[prior_ordered.behaviour_key] = prior_ordered
    kinds = list(MUTATIONS)
    rng.shuffle(kinds)
    attempts = 0
    while len(found) < count and attempts < 20 * count:
        mutate = kinds[attempts % len(kinds)]
        attempts += 1
        child = mutate(incumbent, rng)
        if child is None or child.behaviour_key == incumbent.behaviour_key:
            continue
        found.setdefault(child.behaviour_key, child)
    return list(found.values())[:count]
