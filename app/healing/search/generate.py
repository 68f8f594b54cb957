"""Mutant generation: every operator's edits at one line, single edits first, then bounded pairs;
and the rings a search widens through when those run out (deeper lines, more operator
families, pairs of edits at and across the top lines)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import combinations

import libcst as cst

from app.healing.search import (
    alternatives,
    arithmetic,
    bounds,
    comparisons,
    conditions,
    constants,
    guards,
    hoists,
    keywords,
    loop_exits,
    neighbours,
    off_by_one,
    recursion,
    reorder,
    returns,
    statements,
    swaps,
    variables,
)
from app.healing.search.locate import build_site, statement_lines
from app.healing.search.site import Edit, Site

Operator = Callable[[Site], Iterator[Edit]]

OPERATORS: tuple[Operator, ...] = (
    comparisons.edits,
    off_by_one.edits,
    bounds.edits,
    arithmetic.edits,
    conditions.edits,
    constants.edits,
    swaps.edits,
    alternatives.edits,
    loop_exits.edits,
    keywords.edits,
    variables.edits,
    recursion.edits,
    guards.edits,
    returns.edits,
    statements.edits,
    hoists.edits,
    neighbours.stuck_loop_steps,
)
# Statement-level families: many edits per line and rarely the fix, so a search reaches them
# once the expression-level edits are spent.
WIDE_OPERATORS: tuple[Operator, ...] = (reorder.edits, neighbours.edits)
ALL_OPERATORS = OPERATORS + WIDE_OPERATORS

# Pairs are drawn from the likeliest single edits only, so their number stays bounded.
_PAIR_POOL = 60
_CROSS_POOL = 15


@dataclass(frozen=True)
class Mutant:
    """One candidate module: `source` is the whole new module text."""

    operator: str
    description: str
    source: str


def single_edits(site: Site, operators: Sequence[Operator] = OPERATORS) -> list[Edit]:
    """Every operator's edits at the site, likeliest first (ties keep generation order)."""
    found = [edit for operator in operators for edit in operator(site)]
    return sorted(found, key=lambda edit: edit.weight)


def mutants(
    source: str, line: int, *, max_pairs: int = 200, operators: Sequence[Operator] = OPERATORS
) -> Iterator[Mutant]:
    """Small edits at `line` of `source`, most likely first, each source yielded once."""
    site = build_site(source, line)
    seen = {source}
    singles = single_edits(site, operators)
    for edit in singles:
        mutated = site.apply([edit])
        if mutated not in seen:
            seen.add(mutated)
            yield Mutant(edit.operator, edit.description, mutated)
    if max_pairs > 0:
        yield from _pairs(site, singles, seen, max_pairs)


def _pairs(site: Site, singles: list[Edit], seen: set[str], max_pairs: int) -> Iterator[Mutant]:
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
    combined = ((first, second, site.apply([first, second])) for first, second in pairs)
    yield from _distinct(combined, seen, max_pairs)


class SearchRings:
    """What a search tries once its first pass (single expression-level edits at the top
    lines) is spent, ring by ring."""

    def __init__(self, max_pairs: int = 400) -> None:
        self.max_pairs = max_pairs

    def singles(self, source: str, line: int) -> Iterator[Mutant]:
        """Ring 1 at a deeper line: the first pass's edits."""
        return mutants(source, line, max_pairs=0)

    def deeper(self, source: str, lines: Sequence[int]) -> list[int]:
        """Ring 1's lines: the other statements of the functions holding `lines`, nearest first."""
        return statement_lines(source, lines)

    def wider(self, source: str, line: int) -> Iterator[Mutant]:
        """Ring 2: the statement-level families (swapped, inserted, removed statements)."""
        return mutants(source, line, max_pairs=0, operators=WIDE_OPERATORS)

    def pairs(self, source: str, lines: Sequence[int]) -> Iterator[Mutant]:
        """Ring 3: pairs of edits at each of the top lines, then across two of them."""
        sites = []
        for line in lines:
            try:
                sites.append(build_site(source, line))
            except Exception:  # a line without a statement: the others go on
                continue
        seen = {source}
        for site in sites:
            singles = single_edits(site, ALL_OPERATORS)
            yield from _pairs(site, singles, seen, self.max_pairs)
        yield from _cross_pairs(sites, seen, self.max_pairs)


def _cross_pairs(sites: list[Site], seen: set[str], max_pairs: int) -> Iterator[Mutant]:
    """One edit at each of two lines, likeliest pairs first; patches that overlap are skipped."""
    pools = [
        [(edit, site.as_patch(edit)) for edit in single_edits(site)[:_CROSS_POOL]] for site in sites
    ]
    pairs = sorted(
        (
            (first, second)
            for one, other in combinations(range(len(pools)), 2)
            for first in pools[one]
            for second in pools[other]
        ),
        key=lambda pair: pair[0][0].weight + pair[1][0].weight,
    )
    source = sites[0].source if sites else ""

    def combined() -> Iterator[tuple[Edit, Edit, str | None]]:
        for (first, first_patch), (second, second_patch) in pairs:
            ordered = sorted((first_patch, second_patch), key=lambda patch: patch[0], reverse=True)
            if ordered[1][1] > ordered[0][0]:
                continue  # overlapping spans: the edits touch the same statement
            mutated = source
            for start, end, text in ordered:
                mutated = mutated[:start] + text + mutated[end:]
            yield first, second, mutated if _parses(mutated) else None

    yield from _distinct(combined(), seen, max_pairs)


def _distinct(
    combined: Iterator[tuple[Edit, Edit, str | None]], seen: set[str], max_pairs: int
) -> Iterator[Mutant]:
    """Each pair's mutant once (None: the pair does not make a module), at most `max_pairs`."""
    emitted = 0
    for first, second, mutated in combined:
        if mutated is None or mutated in seen:
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


def _parses(source: str) -> bool:
    try:
        cst.parse_module(source)
    except cst.ParserSyntaxError:
        return False
    return True
