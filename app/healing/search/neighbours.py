"""Statements inserted or removed, modelled on their neighbours: a statement of the same function
copied before or after the suspicious one, a `while` loop's missing step (`i += 1` where the
condition reads `i` and the body never changes it), or a neighbouring statement removed."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from app.healing.search import syntax
from app.healing.search.site import Edit, Site

_OPERATOR = "insert_statement"
_COPIES = 6
_FINAL = (cst.Return, cst.Raise, cst.Continue, cst.Break)


def edits(site: Site) -> Iterator[Edit]:
    yield from _loop_steps(site, stuck=False)
    yield from _copies(site)
    yield from _removed_neighbours(site)


def stuck_loop_steps(site: Site) -> Iterator[Edit]:
    """The missing step of a `while` loop that cannot end otherwise (nothing in its body
    changes what its condition reads, and nothing breaks or returns out of it): that loop
    hangs, and a step is the likeliest fix, so the first pass tries it early."""
    return _loop_steps(site, stuck=True)


def _loop_steps(site: Site, *, stuck: bool) -> Iterator[Edit]:
    loops = [s for s in (*site.enclosing, site.anchor) if isinstance(s, cst.While)]
    if not loops:
        return
    loop = loops[-1]
    body = loop.body
    if not isinstance(body, cst.IndentedBlock) or not body.body:
        return
    last = body.body[-1]
    if last not in site.partials or _ends_flow(last):
        return
    reads = _read_names(loop.test)
    names = [name for name in reads if name not in _assigned(body)]
    # A loop left by `break`/`return`, or whose condition also reads what the body changes, is
    # not stuck: its steps wait for the statement-level ring; a stuck one's come first.
    if not names or (len(names) == len(reads) and not _leaves(body)) != stuck:
        return
    _, end = site.span(last)
    for name in names:
        for rank, operator in enumerate((cst.AddAssign(), cst.SubtractAssign())):
            increment = cst.AugAssign(
                target=cst.Name(name), operator=operator, value=cst.Integer("1")
            )
            step = cst.SimpleStatementLine(body=[increment])
            sign = "+" if rank == 0 else "-"
            yield Edit(
                operator=_OPERATOR,
                description=f"step `{name} {sign}= 1` at the end of the `while` loop",
                weight=(12 if stuck else 40) + 0.5 * rank,
                target=last,
                kind="patch",
                patch=(end, end, site.render(last, step)),
            )


def _copies(site: Site) -> Iterator[Edit]:
    """Nearby statements of the same function, copied before or after the anchor."""
    anchor = site.anchor
    if anchor not in site.partials or isinstance(anchor, cst.FunctionDef | cst.ClassDef):
        return
    scope: cst.CSTNode = site.function if site.function is not None else site.module
    here = site.positions[anchor].start.line
    seen = {site.code(_bare(anchor))}
    found: list[tuple[int, str, cst.SimpleStatementLine]] = []
    for statement in _simple_statements(scope):
        text = site.code(_bare(statement))
        if text in seen or not _copyable(statement):
            continue
        seen.add(text)
        found.append((abs(site.positions[statement].start.line - here), text, statement))
    start, end = site.span(anchor)
    final = isinstance(anchor, cst.SimpleStatementLine) and any(
        isinstance(small, _FINAL) for small in anchor.body
    )
    for rank, (_, text, statement) in enumerate(sorted(found, key=lambda item: item[0])[:_COPIES]):
        rendered = site.render(anchor, _bare(statement))
        yield Edit(
            operator=_OPERATOR,
            description=f"insert `{text.strip()}` before the statement",
            weight=41 + 0.5 * rank,
            target=anchor,
            kind="patch",
            patch=(start, start, rendered),
        )
        if not final:
            yield Edit(
                operator=_OPERATOR,
                description=f"insert `{text.strip()}` after the statement",
                weight=41.2 + 0.5 * rank,
                target=anchor,
                kind="patch",
                patch=(end, end, rendered),
            )


def _removed_neighbours(site: Site) -> Iterator[Edit]:
    """The statement just before or after the anchor removed (the anchor shows the damage)."""
    siblings = list(site.siblings)
    if site.anchor not in siblings or len(siblings) < 2:
        return
    index = siblings.index(site.anchor)
    for offset, neighbour in ((-1, "before"), (1, "after")):
        position = index + offset
        if not 0 <= position < len(siblings):
            continue
        other = siblings[position]
        if not isinstance(other, cst.SimpleStatementLine) or not _copyable(other):
            continue
        start, end = site.span(other)
        yield Edit(
            operator="remove_statement",
            description=f"remove `{site.code(_bare(other)).strip()}` {neighbour} the statement",
            weight=44 + (0.5 if offset > 0 else 0),
            target=other,
            kind="patch",
            patch=(start, end, ""),
        )


def _leaves(block: cst.CSTNode) -> bool:
    """Whether a `break`, `return` or `raise` (outside nested functions) can end the loop."""
    return any(
        isinstance(node, cst.Break | cst.Return | cst.Raise) for node in syntax.walk_scope(block)
    )


def _bare(statement: cst.BaseStatement) -> cst.BaseStatement:
    if isinstance(statement, cst.SimpleStatementLine | cst.BaseCompoundStatement):
        return statement.with_changes(leading_lines=())
    return statement


def _copyable(statement: cst.SimpleStatementLine) -> bool:
    """Assignments, augmented assignments and calls: statements that do one thing."""
    if len(statement.body) != 1:
        return False
    small = statement.body[0]
    if isinstance(small, cst.Expr):
        return isinstance(small.value, cst.Call | cst.Await)
    return isinstance(small, cst.Assign | cst.AugAssign | cst.AnnAssign)


def _simple_statements(scope: cst.CSTNode) -> Iterator[cst.SimpleStatementLine]:
    stack: list[cst.CSTNode] = list(reversed(scope.children))
    while stack:
        node = stack.pop()
        if isinstance(node, cst.SimpleStatementLine):
            yield node
            continue
        if isinstance(node, cst.FunctionDef | cst.ClassDef | cst.BaseExpression):
            continue
        stack.extend(reversed(node.children))


def _ends_flow(statement: cst.BaseStatement) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and any(
        isinstance(small, _FINAL) for small in statement.body
    )


def _assigned(block: cst.CSTNode) -> set[str]:
    names: set[str] = set()
    stack: list[cst.CSTNode] = [block]
    while stack:
        node = stack.pop()
        binds = cst.AssignTarget | cst.AugAssign | cst.AnnAssign | cst.For | cst.NamedExpr
        if isinstance(node, binds) and isinstance(node.target, cst.Name):
            names.add(node.target.value)
        stack.extend(node.children)
    return names


def _read_names(test: cst.BaseExpression) -> list[str]:
    """Plain names the loop's condition compares (not what it reads through calls)."""
    names: list[str] = []
    stack: list[cst.CSTNode] = [test]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Call | cst.Attribute | cst.Subscript):
            continue  # `len(items)`, `queue.size`: what they read is not the loop's counter
        if isinstance(node, cst.Name) and node.value not in {"True", "False", "None"}:
            if node.value not in names:
                names.append(node.value)
            continue
        stack.extend(reversed(node.children))
    return names
