"""Swapped statements: the suspicious statement exchanged with the one before or after it
(TBar's statement-move pattern: an update that happens one step too early or too late)."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from app.healing.search.site import Edit, Site


def edits(site: Site) -> Iterator[Edit]:
    siblings = list(site.siblings)
    anchor = site.anchor
    if anchor not in siblings or not _movable(anchor):
        return
    index = siblings.index(anchor)
    for offset, where in ((1, "after"), (-1, "before")):
        position = index + offset
        if not 0 <= position < len(siblings) or not _movable(siblings[position]):
            continue
        first, second = sorted((index, position))
        yield _swap(site, siblings[first], siblings[second], where, 38 + (0.5 if offset < 0 else 0))


def _movable(statement: cst.BaseStatement) -> bool:
    if isinstance(statement, cst.FunctionDef | cst.ClassDef):
        return False
    if isinstance(statement, cst.SimpleStatementLine):
        # A docstring or an import keeps its place; `return` may move (a step after it is lost).
        return not any(isinstance(small, cst.Import | cst.ImportFrom) for small in statement.body)
    return True


def _swap(
    site: Site, first: cst.BaseStatement, second: cst.BaseStatement, where: str, weight: float
) -> Edit:
    start, _ = site.span(first)
    _, end = site.span(second)
    # Comments above each statement stay where they are; the statements trade places.
    text = site.render(first, _leading(second, _lines(first))) + site.render(
        second, _leading(first, _lines(second))
    )
    shown = site.code(_leading(site.anchor, ())).strip().splitlines()[0]
    return Edit(
        operator="swap_statements",
        description=f"move `{shown}` {where} its neighbour",
        weight=weight,
        target=site.anchor,
        kind="patch",
        patch=(start, end, text),
    )


def _lines(statement: cst.BaseStatement) -> tuple[cst.EmptyLine, ...]:
    if isinstance(statement, cst.SimpleStatementLine | cst.BaseCompoundStatement):
        return tuple(statement.leading_lines)
    return ()


def _leading(statement: cst.BaseStatement, lines: tuple[cst.EmptyLine, ...]) -> cst.BaseStatement:
    if isinstance(statement, cst.SimpleStatementLine | cst.BaseCompoundStatement):
        return statement.with_changes(leading_lines=lines)
    return statement
