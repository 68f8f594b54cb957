"""Changed loop and slice bounds: a bound dropped or added, `range` started or stepped otherwise,
a loop over all items but the first or the last (PAR's and TBar's range mutators), and the
other end of a sequence (`xs[-1]` for `xs[0]`)."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from app.healing.search import syntax
from app.healing.search.site import Edit, Site

_OPERATOR = "bound"


def edits(site: Site) -> Iterator[Edit]:
    if isinstance(site.anchor, cst.For):
        yield from _loop(site, site.anchor)
    for node in site.nodes:
        if isinstance(node, cst.Slice):
            yield from _slice(site, node)
        elif isinstance(node, cst.Index):
            yield from _other_end(site, node)
        elif isinstance(node, cst.Call) and _callee(node) == "range":
            yield from _range(site, node)
        elif isinstance(node, cst.Call) and _callee(node) == "enumerate":
            yield from _enumerate(site, node)
        elif isinstance(node, cst.CompFor):
            yield from _loop(site, node)


def _callee(call: cst.Call) -> str | None:
    return call.func.value if isinstance(call.func, cst.Name) else None


def _edit(site: Site, node: cst.CSTNode, new: cst.CSTNode, what: str, weight: float) -> Edit:
    return Edit(_OPERATOR, what, weight, target=node, replacement=new)


def _slice(site: Site, node: cst.Slice) -> Iterator[Edit]:
    whole = site.parent(site.parent(node) or node)
    shown = site.code(whole) if isinstance(whole, cst.Subscript) else site.code(node)
    if node.lower is not None:
        yield _edit(site, node, node.with_changes(lower=None), f"drop the start of `{shown}`", 15)
    if node.upper is not None:
        yield _edit(site, node, node.with_changes(upper=None), f"drop the end of `{shown}`", 15.2)
    if node.step is not None:
        yield _edit(
            site,
            node,
            node.with_changes(step=None, second_colon=cst.MaybeSentinel.DEFAULT),
            f"drop the step of `{shown}`",
            16,
        )
    if node.lower is None:
        yield _edit(
            site, node, node.with_changes(lower=syntax.one()), f"start `{shown}` at 1", 16.5
        )
    if node.upper is None and node.step is None:
        minus_one = cst.UnaryOperation(operator=cst.Minus(), expression=syntax.one())
        yield _edit(
            site, node, node.with_changes(upper=minus_one), f"end `{shown}` before the last", 16.6
        )


def _other_end(site: Site, node: cst.Index) -> Iterator[Edit]:
    """`xs[0]` for `xs[-1]` and back: the first item read where the last was meant."""
    value = node.value
    if isinstance(value, cst.Integer) and value.value == "0":
        other: cst.BaseExpression = _minus_one()
    elif (
        isinstance(value, cst.UnaryOperation)
        and isinstance(value.operator, cst.Minus)
        and isinstance(value.expression, cst.Integer)
        and value.expression.value == "1"
    ):
        other = cst.Integer("0")
    else:
        return
    subscript = site.parent(site.parent(node) or node)
    shown = site.code(subscript) if isinstance(subscript, cst.Subscript) else site.code(node)
    end = "last" if isinstance(other, cst.UnaryOperation) else "first"
    yield _edit(site, node, node.with_changes(value=other), f"read the {end} item in `{shown}`", 12)


def _positional(call: cst.Call) -> list[cst.Arg] | None:
    args = list(call.args)
    if any(arg.keyword is not None or arg.star for arg in args):
        return None
    return args


def _with_args(call: cst.Call, values: list[cst.BaseExpression]) -> cst.Call:
    args = [
        cst.Arg(
            value=value,
            comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
            if index < len(values) - 1
            else cst.MaybeSentinel.DEFAULT,
        )
        for index, value in enumerate(values)
    ]
    return call.with_changes(args=args)


def _range(site: Site, call: cst.Call) -> Iterator[Edit]:
    args = _positional(call)
    if args is None:
        return
    text = site.code(call)
    values = [arg.value for arg in args]
    if len(values) == 1:
        (stop,) = values
        plus_one = syntax.binary(syntax.bare(stop), cst.Add(), syntax.one())
        yield _edit(site, call, _with_args(call, [syntax.one(), stop]), f"start `{text}` at 1", 17)
        yield _edit(
            site,
            call,
            _with_args(call, [syntax.one(), plus_one]),
            f"count `{text}` from 1 up to and including its end",
            17.2,
        )
        yield _reversed(site, call, cst.Integer("0"), stop, text)
    elif len(values) == 2:
        start, stop = values
        yield _edit(site, call, _with_args(call, [stop]), f"start `{text}` at 0", 17)
        yield _reversed(site, call, start, stop, text)
    elif len(values) == 3:
        yield _edit(site, call, _with_args(call, values[:2]), f"drop the step of `{text}`", 17)


def _reversed(
    site: Site, call: cst.Call, start: cst.BaseExpression, stop: cst.BaseExpression, text: str
) -> Edit:
    """`range(a, b)` walked backwards: `range(b - 1, a - 1, -1)`."""
    last = syntax.binary(syntax.bare(stop), cst.Subtract(), syntax.one())
    if isinstance(start, cst.Integer) and start.value == "0":
        before: cst.BaseExpression = _minus_one()
    else:
        before = syntax.binary(syntax.bare(start), cst.Subtract(), syntax.one())
    step = cst.UnaryOperation(operator=cst.Minus(), expression=syntax.one())
    return _edit(site, call, _with_args(call, [last, before, step]), f"walk `{text}` backwards", 18)


def _enumerate(site: Site, call: cst.Call) -> Iterator[Edit]:
    args = _positional(call)
    if args is None:
        return
    text = site.code(call)
    if len(args) == 1:
        yield _edit(
            site,
            call,
            _with_args(call, [args[0].value, syntax.one()]),
            f"count `{text}` from 1",
            17,
        )
    elif len(args) == 2:
        yield _edit(site, call, _with_args(call, [args[0].value]), f"count `{text}` from 0", 17)


def _loop(site: Site, loop: cst.For | cst.CompFor) -> Iterator[Edit]:
    """`for x in xs` over all but the first, or all but the last, item."""
    iterable = loop.iter
    if not isinstance(iterable, cst.Name | cst.Attribute | cst.Subscript | cst.Call):
        return
    if isinstance(iterable, cst.Call) and _callee(iterable) in {"range", "enumerate"}:
        return  # their bounds are changed above
    text = site.code(iterable)
    for what, slice_ in (
        ("all but the first", cst.Slice(lower=syntax.one(), upper=None)),
        (
            "all but the last",
            cst.Slice(
                lower=None,
                upper=cst.UnaryOperation(operator=cst.Minus(), expression=syntax.one()),
            ),
        ),
    ):
        sliced = cst.Subscript(
            value=syntax.fit(syntax.bare(iterable), 16), slice=[cst.SubscriptElement(slice_)]
        )
        yield _edit(site, iterable, sliced, f"loop over {what} of `{text}`", 18.5)


def _minus_one() -> cst.UnaryOperation:
    return cst.UnaryOperation(operator=cst.Minus(), expression=syntax.one())
