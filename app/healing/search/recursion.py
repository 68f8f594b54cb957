"""A changed argument of a recursive call: the step towards the base case taken otherwise
(`n - 1` for `n`, `mid + 1` for `mid`, `rest[1:]` for `rest`, or the parameter passed on)."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from app.healing import value_kinds
from app.healing.search import syntax
from app.healing.search.site import Edit, Site

_OPERATOR = "recursive_argument"
_SEQUENCES = frozenset({"list", "str", "tuple"})


def edits(site: Site) -> Iterator[Edit]:
    function = site.function
    if function is None:
        return
    name = function.name.value
    params = _parameters(function)
    kinds = site.memo(f"kinds:{id(function)}", lambda: value_kinds.assigned_kinds(function))
    for node in site.nodes:
        if isinstance(node, cst.Call) and _calls(node, name):
            yield from _changed_arguments(site, node, params, kinds)


def _parameters(function: cst.FunctionDef) -> list[str]:
    params = function.params
    names = [param.name.value for param in (*params.posonly_params, *params.params)]
    return names[1:] if names and names[0] in {"self", "cls"} else names


def _calls(call: cst.Call, name: str) -> bool:
    func = call.func
    if isinstance(func, cst.Name):
        return func.value == name
    return (
        isinstance(func, cst.Attribute)
        and func.attr.value == name
        and isinstance(func.value, cst.Name)
        and func.value.value in {"self", "cls"}
    )


def _changed_arguments(
    site: Site, call: cst.Call, params: list[str], kinds: dict[str, str]
) -> Iterator[Edit]:
    positional = [arg for arg in call.args if arg.keyword is None and not arg.star]
    callee = site.code(call.func)
    for index, arg in enumerate(positional):
        original = site.code(arg.value)
        seen = {original}
        for rank, (new, why) in enumerate(_alternatives(arg.value, index, params, kinds)):
            text = site.code(new)
            if text in seen:
                continue
            seen.add(text)
            yield Edit(
                operator=_OPERATOR,
                description=f"pass `{text}` for `{original}` to the recursive call of `{callee}`"
                + why,
                weight=24.5 + 0.3 * rank,
                target=arg.value,
                replacement=syntax.substitute(site, arg.value, new),
            )


def _alternatives(
    value: cst.BaseExpression, index: int, params: list[str], kinds: dict[str, str]
) -> Iterator[tuple[cst.BaseExpression, str]]:
    base = syntax.bare(value)
    own = params[index] if index < len(params) else None
    kind = value_kinds.kind_of(base, kinds)
    if isinstance(base, cst.BinaryOperation) and isinstance(base.operator, cst.Add | cst.Subtract):
        # `n - 1` → `n - 2` is the off-by-one operator's; here the step itself changes side.
        flipped: cst.BaseBinaryOp = (
            cst.Subtract() if isinstance(base.operator, cst.Add) else cst.Add()
        )
        yield syntax.binary(base.left, flipped, base.right), ""
        yield syntax.bare(base.left), " (no step)"
    if kind in {"int", None} and isinstance(base, cst.Name | cst.Attribute):
        for op in (cst.Subtract(), cst.Add()):
            yield syntax.binary(base, op, syntax.one()), ""
    if kind in _SEQUENCES and isinstance(base, cst.Name | cst.Attribute):
        yield _sliced(base, lower=True), ""
        yield _sliced(base, lower=False), ""
    if own is not None and own != _code(base):
        yield cst.Name(own), " (the parameter passed on)"
        own_kind = kinds.get(own)
        if own_kind == "int":
            yield syntax.binary(cst.Name(own), cst.Subtract(), syntax.one()), ""
        elif own_kind in _SEQUENCES:
            yield _sliced(cst.Name(own), lower=True), ""
    for other in params:
        if other != own and value_kinds.compatible(kinds.get(other), kind):
            yield cst.Name(other), ""


def _code(node: cst.BaseExpression) -> str:
    return cst.Module(body=[]).code_for_node(node)


def _sliced(value: cst.BaseExpression, *, lower: bool) -> cst.Subscript:
    minus_one = cst.UnaryOperation(operator=cst.Minus(), expression=syntax.one())
    slice_ = (
        cst.Slice(lower=syntax.one(), upper=None)
        if lower
        else cst.Slice(lower=None, upper=minus_one)
    )
    return cst.Subscript(value=value, slice=[cst.SubscriptElement(slice_)])
