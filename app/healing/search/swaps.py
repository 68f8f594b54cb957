"""Swaps: call arguments, operands of non-commutative operators, and stacked indices."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import combinations

import libcst as cst

from app.healing.search import syntax
from app.healing.search.site import Edit, Site

_NON_COMMUTATIVE = (
    cst.Subtract,
    cst.Divide,
    cst.FloorDivide,
    cst.Modulo,
    cst.Power,
    cst.LeftShift,
    cst.RightShift,
)
_MAX_ARGUMENTS = 6


def edits(site: Site) -> Iterator[Edit]:
    for node in site.nodes:
        if isinstance(node, cst.Call):
            yield from _swapped_arguments(site, node)
        elif isinstance(node, cst.BinaryOperation) and isinstance(node.operator, _NON_COMMUTATIVE):
            yield _swapped_operands(site, node)
        elif isinstance(node, cst.Subscript):
            yield from _swapped_indices(site, node)


def _swapped_arguments(site: Site, call: cst.Call) -> Iterator[Edit]:
    positional = [
        index for index, arg in enumerate(call.args) if arg.keyword is None and not arg.star
    ][:_MAX_ARGUMENTS]
    for first, second in sorted(combinations(positional, 2), key=lambda pair: pair[1] - pair[0]):
        args = list(call.args)
        args[first] = call.args[first].with_changes(value=call.args[second].value)
        args[second] = call.args[second].with_changes(value=call.args[first].value)
        yield Edit(
            operator="swap",
            description=(
                f"swap arguments `{site.code(call.args[first].value)}` and "
                f"`{site.code(call.args[second].value)}` of `{site.code(call.func)}`"
            ),
            weight=20 + 0.5 * (second - first - 1),
            target=call,
            replacement=call.with_changes(args=args),
        )


def _swapped_operands(site: Site, node: cst.BinaryOperation) -> Edit:
    swapped = syntax.binary(syntax.bare(node.right), node.operator, syntax.bare(node.left))
    return Edit(
        operator="swap",
        description=f"swap the operands of `{site.code(syntax.bare(node))}`",
        weight=22,
        target=node,
        replacement=syntax.substitute(site, node, swapped),
    )


def _swapped_indices(site: Site, node: cst.Subscript) -> Iterator[Edit]:
    if len(node.slice) == 2:
        first, second = node.slice
        swapped = [first.with_changes(slice=second.slice), second.with_changes(slice=first.slice)]
        yield Edit(
            operator="swap",
            description=f"swap the indices of `{site.code(node)}`",
            weight=23,
            target=node,
            replacement=node.with_changes(slice=swapped),
        )
    inner = node.value
    if isinstance(inner, cst.Subscript) and len(inner.slice) == 1 and len(node.slice) == 1:
        yield Edit(
            operator="swap",
            description=f"swap the indices of `{site.code(node)}`",
            weight=23,
            target=node,
            replacement=node.with_changes(
                slice=node.slice and [node.slice[0].with_changes(slice=inner.slice[0].slice)],
                value=inner.with_changes(
                    slice=[inner.slice[0].with_changes(slice=node.slice[0].slice)]
                ),
            ),
        )
