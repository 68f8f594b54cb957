"""Changed return expressions: `None`, the negation, one operand or one branch of what was
returned, a value the function returns elsewhere or a local of a compatible kind, and a `return`
of the result a function computes but never returns (TBar's return-statement mutator)."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from app.healing import value_kinds
from app.healing.search import syntax
from app.healing.search.site import Edit, Site

_BOOLEAN_SHAPES = (cst.Comparison, cst.BooleanOperation, cst.UnaryOperation, cst.Call, cst.Name)
_MAX_OTHERS = 6


def edits(site: Site) -> Iterator[Edit]:
    for node in site.nodes:
        if isinstance(node, cst.Return) and node.value is not None:
            yield from _replaced(site, node.value)
            yield from _other_values(site, node.value)
    yield from _missing_return(site)


def _other_values(site: Site, value: cst.BaseExpression) -> Iterator[Edit]:
    """What else the function could mean to return: what it returns elsewhere, then its
    parameters and locals whose kind fits the returned value."""
    function = site.function
    if function is None:
        return
    kinds = site.memo(f"kinds:{id(function)}", lambda: value_kinds.assigned_kinds(function))
    expected = value_kinds.kind_of(syntax.bare(value), kinds)
    current = site.code(syntax.bare(value))
    seen = {current, "None"}
    found: list[tuple[float, str, cst.BaseExpression]] = []
    for other in value_kinds.returned_values(function):
        text = site.code(syntax.bare(other))
        if text not in seen and value_kinds.compatible(
            value_kinds.kind_of(syntax.bare(other), kinds), expected
        ):
            seen.add(text)
            found.append((36.5, text, syntax.bare(other)))
    for name, kind in kinds.items():
        if name not in seen and value_kinds.compatible(kind, expected):
            seen.add(name)
            found.append((37.0, name, cst.Name(name)))
    for rank, (weight, text, new) in enumerate(found[:_MAX_OTHERS]):
        what = f"return `{text}` instead of `{current}`"
        yield _edit(site, value, new, what, weight + 0.1 * rank)


def _missing_return(site: Site) -> Iterator[Edit]:
    """`return result` after the last statement of a function that computes and drops it."""
    function = site.function
    if function is None or not isinstance(function.body, cst.IndentedBlock):
        return
    body = function.body.body
    last = body[-1] if body else None
    if last is None or last not in site.partials or _returns(last):
        return
    if any(True for _ in value_kinds.returned_values(function)):
        return
    kinds = site.memo(f"kinds:{id(function)}", lambda: value_kinds.assigned_kinds(function))
    _, end = site.span(last)
    for rank, name in enumerate(_locals_latest_first(function, kinds)[:_MAX_OTHERS]):
        statement = cst.SimpleStatementLine(body=[cst.Return(value=cst.Name(name))])
        yield Edit(
            operator="return_value",
            description=f"return `{name}` at the end of `{function.name.value}`",
            weight=37 + 0.2 * rank,
            target=last,
            kind="patch",
            patch=(end, end, site.render(last, statement)),
        )


def _returns(statement: cst.BaseStatement) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and any(
        isinstance(small, cst.Return | cst.Raise) for small in statement.body
    )


def _locals_latest_first(function: cst.FunctionDef, kinds: dict[str, str]) -> list[str]:
    """Names assigned in the body, the last assigned first; parameters after them."""
    assigned: list[str] = []
    stack: list[cst.CSTNode] = [function.body]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.FunctionDef | cst.ClassDef | cst.Lambda):
            continue
        if isinstance(node, cst.AssignTarget | cst.AugAssign) and isinstance(node.target, cst.Name):
            if node.target.value in assigned:
                assigned.remove(node.target.value)
            assigned.append(node.target.value)
        stack.extend(reversed(node.children))
    params = [name for name in kinds if name not in assigned]
    return [*reversed(assigned), *params]


def _replaced(site: Site, value: cst.BaseExpression) -> Iterator[Edit]:
    text = site.code(syntax.bare(value))
    if isinstance(value, _BOOLEAN_SHAPES) and text not in {"None", "True", "False"}:
        yield _edit(site, value, syntax.negate(syntax.bare(value)), f"return `not {text}`", 33)
    if isinstance(value, cst.IfExp):
        for branch in (value.body, value.orelse):
            yield _edit(site, value, syntax.bare(branch), f"return only `{site.code(branch)}`", 35)
    if isinstance(value, cst.BinaryOperation):
        for operand in (value.left, value.right):
            yield _edit(
                site, value, syntax.bare(operand), f"return only `{site.code(operand)}`", 36
            )
    if text != "None":
        yield _edit(site, value, cst.Name("None"), "return `None`", 34)


def _edit(
    site: Site, value: cst.BaseExpression, new: cst.BaseExpression, what: str, weight: float
) -> Edit:
    return Edit(
        operator="return_value",
        description=what,
        weight=weight,
        target=value,
        replacement=syntax.substitute(site, value, new),
    )
