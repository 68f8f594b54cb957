"""Mutant generation: every operator's edits at one line, single edits first, then bounded pairs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import combinations

from app.healing.search import (
    alternatives,
    arithmetic,
    comparisons,
    conditions,
    constants,
    guards,
    off_by_one,
    returns,
    statements,
    swaps,
    variables,
)
from app.healing.search.locate import build_site
from app.healing.search.site import Edit, Site

Operator = Callable[[Site], Iterator[Edit]]

OPERATORS: tuple[Operator, ...] = (
    comparisons.edits,
    off_by_one.edits,
    arithmetic.edits,
    conditions.edits,
    constants.edits,
    swaps.edits,
    alternatives.edits,
    variables.edits,
    guards.edits,
    returns.edits,
    statements.edits,
)

# Pairs are drawn from the likeliest single edits only, so their number stays bounded.
_PAIR_POOL = 60


@dataclass(frozen=True)
class Mutant:
    """One candidate module: `source` is the whole new module text."""

    operator: str
    description: str
    source: str


def single_edits(site: Site) -> list[Edit]:
    """Every operator's edits at the site, likeliest first (ties keep generation order)."""
    found = [edit for operator in OPERATORS for edit in operator(site)]
    return sorted(found, key=lambda edit: edit.weight)


def mutants(source: str, line: int, *, max_pairs: int = 200) -> Iterator[Mutant]:
    """Small edits at `line` of `source`, most likely first, each source yielded once."""
    site = build_site(source, line)
    seen = {source}
    singles = single_edits(site)
    for edit in singles:
        mutated = site.apply([edit])
        if mutated not in seen:
            seen.add(mutated)
            yield Mutant(edit.operator, edit.description, mutated)
    if max_pairs <= 0:
        return
    pooled = [edit for edit in singles if edit.kind == "replace"][:_PAIR_POOL]
    pairs = sorted(
        (
            (first, second)
            for first, second in combinations(pooled, 2)
            if not site.encloses(first.target, second.target)
            and not site.encloses(second.target, first.target)
        ),
        key=lambda pair: pair[0].weight + pair[1].weight,
    )
    emitted = 0
    for first, second in pairs:
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
        if emitted >= max_pairs:
            return
