"""Replaced return values: `None`, the negation, one operand, or one branch of what was returned."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from app.healing.search import syntax
from app.healing.search.site import Edit, Site

_BOOLEAN_SHAPES = (cst.Comparison, cst.BooleanOperation, cst.UnaryOperation, cst.Call, cst.Name)


def edits(site: Site) -> Iterator[Edit]:
    for node in site.nodes:
        if isinstance(node, cst.Return) and node.value is not None:
            yield from _replaced(site, node.value)


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
