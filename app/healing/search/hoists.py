"""Statements moved out of the loop they sit in (TBar's statement-move pattern at a block's edge):
a `return` indented into the loop, so it returns after the first item, moved after the loop; and
an accumulator reset inside the loop that updates it, so only the last item counts, moved before."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from app.healing.search import syntax
from app.healing.search.site import Edit, Site

_OPERATOR = "hoist_statement"
_WEIGHT = 23
# Calls that grow a collection in place: `found.append(x)` in a loop accumulates like `+=`.
_GROWING = frozenset({"append", "extend", "add", "update", "insert", "setdefault"})


def edits(site: Site) -> Iterator[Edit]:
    loop = _enclosing_loop(site)
    anchor = site.anchor
    if loop is None or not isinstance(anchor, cst.SimpleStatementLine) or len(anchor.body) != 1:
        return
    block = loop.body
    assert isinstance(block, cst.IndentedBlock)  # checked by `_enclosing_loop`
    body = list(block.body)
    if len(body) < 2:
        return  # moving the only statement out would leave the loop empty
    small = anchor.body[0]
    if isinstance(small, cst.Return) and body[-1] is anchor and loop.orelse is None:
        yield _after(site, loop, anchor)
    elif isinstance(small, cst.Assign) and _resets_accumulator(small, loop, body):
        yield _before(site, loop, anchor)


def _enclosing_loop(site: Site) -> cst.For | cst.While | None:
    """The loop whose own body holds the anchor (not a nested `if`'s, nor its `else` block)."""
    if not site.enclosing:
        return None
    loop = site.enclosing[-1]
    if not isinstance(loop, cst.For | cst.While) or not isinstance(loop.body, cst.IndentedBlock):
        return None
    return loop if any(statement is site.anchor for statement in loop.body.body) else None


def _resets_accumulator(
    assign: cst.Assign, loop: cst.For | cst.While, body: list[cst.BaseStatement]
) -> bool:
    """`total = 0` in a loop whose later statements add to `total`, from a value that does not
    depend on the loop's own variable (that would be a fresh value per item, not a reset)."""
    if len(assign.targets) != 1 or not isinstance(assign.targets[0].target, cst.Name):
        return False
    name = assign.targets[0].target.value
    if isinstance(loop, cst.For) and _names(loop.target) & _names(assign.value):
        return False
    index = next(i for i, statement in enumerate(body) if _holds(statement, assign))
    return any(_accumulates(statement, name) for statement in body[index + 1 :])


def _holds(statement: cst.BaseStatement, small: cst.BaseSmallStatement) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and any(
        part is small for part in statement.body
    )


def _accumulates(statement: cst.CSTNode, name: str) -> bool:
    """Whether `statement` (nested blocks included) adds to `name` in place."""
    return any(
        (isinstance(node, cst.AugAssign) and _is_name(node.target, name))
        or (
            isinstance(node, cst.Call)
            and isinstance(node.func, cst.Attribute)
            and node.func.attr.value in _GROWING
            and _is_name(node.func.value, name)
        )
        for node in syntax.walk_scope(statement)
    )


def _is_name(node: cst.CSTNode, name: str) -> bool:
    return isinstance(node, cst.Name) and node.value == name


def _names(node: cst.CSTNode) -> set[str]:
    found: set[str] = set()
    stack: list[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, cst.Name):
            found.add(current.value)
        stack.extend(current.children)
    return found


def _after(site: Site, loop: cst.BaseStatement, anchor: cst.SimpleStatementLine) -> Edit:
    """The anchor (the loop's last statement) dedented to just after the loop."""
    _, anchor_end = site.span(anchor)
    _, loop_end = site.span(loop)
    moved = site.render(loop, anchor.with_changes(leading_lines=()))
    patch = (_own_start(site, anchor), loop_end, site.source[anchor_end:loop_end] + moved)
    return _moved(site, anchor, "after", patch)


def _before(site: Site, loop: cst.BaseStatement, anchor: cst.SimpleStatementLine) -> Edit:
    """The anchor moved to just before the loop (below the loop's own comments)."""
    loop_start = _own_start(site, loop)
    _, end = site.span(anchor)
    moved = site.render(loop, anchor.with_changes(leading_lines=()))
    patch = (loop_start, end, moved + site.source[loop_start : _own_start(site, anchor)])
    return _moved(site, anchor, "before", patch)


def _moved(
    site: Site, anchor: cst.SimpleStatementLine, where: str, patch: tuple[int, int, str]
) -> Edit:
    return Edit(
        operator=_OPERATOR,
        description=f"move `{_shown(site, anchor)}` {where} the loop",
        weight=_WEIGHT,
        target=anchor,
        kind="patch",
        patch=patch,
    )


def _own_start(site: Site, statement: cst.BaseStatement) -> int:
    """Where the statement's own first line starts, past the blank and comment lines it owns
    (those stay where they are)."""
    start, end = site.span(statement)
    assert isinstance(statement, cst.SimpleStatementLine | cst.BaseCompoundStatement)
    owned = len(statement.leading_lines)
    lines = site.source[start:end].splitlines(keepends=True)
    return start + sum(len(text) for text in lines[:owned])


def _shown(site: Site, statement: cst.SimpleStatementLine) -> str:
    return site.code(statement.with_changes(leading_lines=())).strip()
