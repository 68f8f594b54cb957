"""Conditions: negated, `and`/`or` exchanged, a clause dropped, or extended by a None check."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from app.healing.search import syntax
from app.healing.search.site import Edit, Site

_MAX_SUBJECTS = 4


def conditions(site: Site) -> Iterator[cst.BaseExpression]:
    """The tests of `if`, `elif`, `while`, `assert`, conditional expressions and comprehensions."""
    for node in site.nodes:
        if isinstance(node, cst.If | cst.While | cst.IfExp | cst.Assert | cst.CompIf):
            yield node.test
    # An `if`/`while` anchor's own tests are roots rather than children of a walked node.
    for root in site.roots:
        if isinstance(root, cst.BaseExpression) and _is_test(site, root):
            yield root


def _is_test(site: Site, root: cst.BaseExpression) -> bool:
    anchor = site.anchor
    clauses: list[cst.CSTNode] = [anchor]
    while clauses:
        clause = clauses.pop()
        if isinstance(clause, cst.If | cst.While) and clause.test is root:
            return True
        if isinstance(clause, cst.If) and isinstance(clause.orelse, cst.If):
            clauses.append(clause.orelse)
    return False


def edits(site: Site) -> Iterator[Edit]:
    for test in conditions(site):
        if isinstance(test, cst.Comparison) and len(test.comparisons) == 1 and not test.lpar:
            # A single comparison is negated by its inverse operator (see comparisons).
            yield from _extended(site, test)
            continue
        yield Edit(
            operator="negate_condition",
            description=f"negate `{site.code(syntax.bare(test))}`",
            weight=16,
            target=test,
            replacement=syntax.substitute(site, test, syntax.negate(syntax.bare(test))),
        )
        yield from _extended(site, test)
    for node in site.nodes:
        if isinstance(node, cst.BooleanOperation):
            yield from _reshaped(site, node)


def _reshaped(site: Site, node: cst.BooleanOperation) -> Iterator[Edit]:
    swapped: cst.BaseBooleanOp = cst.Or() if isinstance(node.operator, cst.And) else cst.And()
    swapped = swapped.with_changes(
        whitespace_before=node.operator.whitespace_before,
        whitespace_after=node.operator.whitespace_after,
    )
    names = ("and", "or") if isinstance(node.operator, cst.And) else ("or", "and")
    yield Edit(
        operator="boolean_operator",
        description=f"replace `{names[0]}` with `{names[1]}`",
        weight=17,
        target=node.operator,
        replacement=swapped,
    )
    whole = site.code(syntax.bare(node))
    for clause in (node.left, node.right):
        if isinstance(clause, cst.BooleanOperation) and not clause.lpar:
            continue
        yield Edit(
            operator="negate_condition",
            description=f"negate `{site.code(syntax.bare(clause))}` in `{whole}`",
            weight=19,
            target=clause,
            replacement=syntax.substitute(site, clause, syntax.negate(syntax.bare(clause))),
        )
    for kept in (node.left, node.right):
        yield Edit(
            operator="drop_condition",
            description=f"keep only `{site.code(kept)}` of `{site.code(syntax.bare(node))}`",
            weight=26,
            target=node,
            replacement=syntax.substitute(site, node, syntax.bare(kept)),
        )


def subjects(site: Site, node: cst.CSTNode) -> list[cst.BaseExpression]:
    """Distinct variables and attribute chains read inside `node`, in order of appearance."""
    found: dict[str, cst.BaseExpression] = {}

    def visit(current: cst.CSTNode) -> None:
        if isinstance(current, cst.Name | cst.Attribute) and _is_chain(current):
            text = site.code(syntax.bare(current))
            if text not in {"None", "True", "False", "self", "cls"}:
                found.setdefault(text, syntax.bare(current))
        if isinstance(current, cst.Attribute):
            visit(current.value)
            return
        if isinstance(current, cst.Call):
            # Callees are not values that can be None; their arguments are.
            for arg in current.args:
                visit(arg.value)
            if isinstance(current.func, cst.Attribute):
                visit(current.func.value)
            return
        for child in current.children:
            visit(child)

    visit(node)
    return list(found.values())[:_MAX_SUBJECTS]


def _is_chain(node: cst.BaseExpression) -> bool:
    while isinstance(node, cst.Attribute):
        node = node.value
    return isinstance(node, cst.Name)


def _extended(site: Site, test: cst.BaseExpression) -> Iterator[Edit]:
    condition = syntax.bare(test)
    for subject in subjects(site, test):
        text = site.code(subject)
        shapes = (
            (
                f"{text} is not None and …",
                syntax.boolean(syntax.is_none(subject, True), True, condition),
            ),
            (f"{text} and …", syntax.boolean(subject, True, condition)),
            (
                f"… or {text} is None",
                syntax.boolean(condition, False, syntax.is_none(subject, False)),
            ),
            (f"… or not {text}", syntax.boolean(condition, False, syntax.negate(subject))),
        )
        for offset, (shape, extended) in enumerate(shapes):
            yield Edit(
                operator="extend_condition",
                description=f"extend the condition to `{shape}`",
                weight=28 + 0.25 * offset,
                target=test,
                replacement=syntax.substitute(site, test, extended),
            )
