"""Before/after helpers for mutation operator tests."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator

from app.healing.search import ALL_OPERATORS, Edit, Site, build_site, mutants


def code(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def line_of(source: str, marker: str) -> int:
    """The 1-based number of the first line containing `marker`."""
    for number, text in enumerate(source.splitlines(), 1):
        if marker in text:
            return number
    raise AssertionError(f"{marker!r} not in source")


def variants(source: str, marker: str, operator: str) -> list[str]:
    """Every single-edit mutant of `operator` at the line holding `marker`."""
    return [
        mutant.source
        for mutant in mutants(source, line_of(source, marker), max_pairs=0)
        if mutant.operator == operator
    ]


def wide_variants(source: str, marker: str, operator: str) -> list[str]:
    """Like `variants`, with the statement-level families of the search's later rings too."""
    return [
        mutant.source
        for mutant in mutants(source, line_of(source, marker), max_pairs=0, operators=ALL_OPERATORS)
        if mutant.operator == operator
    ]


def own_edits(source: str, marker: str, edits: Callable[[Site], Iterator[Edit]]) -> list[str]:
    """The sources one operator's edits make at the line holding `marker`, before other
    operators' identical mutants would take their place."""
    site = build_site(source, line_of(source, marker))
    return [site.apply([edit]) for edit in edits(site)]


def swapped(source: str, old: str, new: str) -> str:
    """`source` with exactly one occurrence of `old` replaced by `new`."""
    assert source.count(old) == 1, f"{old!r} must occur once"
    return source.replace(old, new)
