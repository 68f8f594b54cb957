"""Off-by-one: ±1 on integer expressions (indices, slice bounds, range arguments, lengths)."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from app.healing.search import syntax
from app.healing.search.site import Edit, Site

_COUNTING_CALLS = frozenset({"range", "enumerate", "islice", "zip_longest", "repeat"})


def edits(site: Site) -> Iterator[Edit]:
    for node in site.nodes:
        if not isinstance(node, cst.BaseExpression):
            continue
        place = _integer_place(site, node)
        literal = _literal_value(node)
        if literal is not None:
            yield from _shifted_literal(node, literal, 11 if place == "index" else 19)
            continue
        if isinstance(node, cst.BinaryOperation):
            yield from _dropped_increment(site, node)
        weight = {"index": 13.0, "length": 20.0, "compared": 22.0, None: None}[place]
        if weight is None or not _integer_like(node):
            continue
        text = site.code(syntax.bare(node))
        for op, sign in ((cst.Add(), "+"), (cst.Subtract(), "-")):
            yield Edit(
                operator="off_by_one",
                description=f"replace `{text}` with `{text} {sign} 1`",
                weight=weight + (0.5 if sign == "-" else 0.0),
                target=node,
                replacement=syntax.substitute(
                    site, node, syntax.binary(syntax.bare(node), op, syntax.one())
                ),
            )


def _integer_place(site: Site, node: cst.BaseExpression) -> str | None:
    """Where `node` sits, when that place is one where integers usually go."""
    parent = site.parent(node)
    if isinstance(parent, cst.Index | cst.Slice):
        return "index"
    if isinstance(parent, cst.Arg):
        call = site.parent(parent)
        if isinstance(call, cst.Call) and syntax.callee(call) in _COUNTING_CALLS:
            return "index"
    if isinstance(parent, cst.BinaryOperation) and _literal_value(parent.right) is not None:
        # `len(xs) - 1` already carries an adjustment; shifting that literal covers it.
        return None
    if isinstance(node, cst.Call) and syntax.callee(node) == "len":
        return "length"
    if isinstance(parent, cst.ComparisonTarget) and _orders(parent.operator):
        return "compared"
    if isinstance(parent, cst.Comparison) and _orders(parent.comparisons[0].operator):
        return "compared"
    return None


def _orders(operator: cst.BaseCompOp) -> bool:
    """Integer shifts only make sense around ordering and equality, not `is` or `in`."""
    return not isinstance(operator, cst.Is | cst.IsNot | cst.In | cst.NotIn)


def _integer_like(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Name | cst.Attribute | cst.Subscript | cst.Call) and not (
        isinstance(node, cst.Name) and node.value in {"None", "True", "False"}
    )


def _literal_value(node: cst.BaseExpression) -> int | None:
    if isinstance(node, cst.Integer) and node.value.isdigit():
        return int(node.value)
    return None


def _shifted_literal(node: cst.BaseExpression, value: int, weight: float) -> Iterator[Edit]:
    for shifted in (value + 1, value - 1):
        if shifted < 0:
            continue
        yield Edit(
            operator="off_by_one",
            description=f"replace `{value}` with `{shifted}`",
            weight=weight + (0.5 if shifted < value else 0.0),
            target=node,
            replacement=cst.Integer(str(shifted), lpar=node.lpar, rpar=node.rpar),
        )


def _dropped_increment(site: Site, node: cst.BinaryOperation) -> Iterator[Edit]:
    """`x + 1` → `x` and `x - 1` → `x`: the adjustment itself was the bug."""
    if not isinstance(node.operator, cst.Add | cst.Subtract):
        return
    if _literal_value(node.right) is None:
        return
    kept = syntax.substitute(site, node, node.left)
    yield Edit(
        operator="off_by_one",
        description=f"replace `{site.code(syntax.bare(node))}` with `{site.code(node.left)}`",
        weight=14,
        target=node,
        replacement=kept,
    )
