"""Binary operator replacement: `+` for `-`, `/` for `//`, `+=` for `-=`, `=` for `+=`."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from app.healing.search.site import Edit, Site

_Op = type[cst.BaseBinaryOp]
_AugOp = type[cst.BaseAugOp]

_ALTERNATIVES: dict[_Op, tuple[tuple[_Op, float], ...]] = {
    cst.Add: ((cst.Subtract, 15), (cst.Multiply, 31)),
    cst.Subtract: ((cst.Add, 15), (cst.Multiply, 32)),
    cst.Multiply: ((cst.Divide, 15), (cst.FloorDivide, 20), (cst.Add, 30), (cst.Power, 38)),
    cst.Divide: ((cst.FloorDivide, 15), (cst.Multiply, 20), (cst.Modulo, 34)),
    cst.FloorDivide: ((cst.Divide, 15), (cst.Modulo, 20), (cst.Multiply, 30)),
    cst.Modulo: ((cst.FloorDivide, 20), (cst.Divide, 30)),
    cst.Power: ((cst.Multiply, 25),),
}

_AUGMENTED: dict[_AugOp, tuple[tuple[_AugOp, float], ...]] = {
    cst.AddAssign: ((cst.SubtractAssign, 15), (cst.MultiplyAssign, 31)),
    cst.SubtractAssign: ((cst.AddAssign, 15),),
    cst.MultiplyAssign: ((cst.DivideAssign, 15), (cst.AddAssign, 30)),
    cst.DivideAssign: ((cst.FloorDivideAssign, 15), (cst.MultiplyAssign, 20)),
    cst.FloorDivideAssign: ((cst.DivideAssign, 15), (cst.ModuloAssign, 20)),
    cst.ModuloAssign: ((cst.FloorDivideAssign, 20),),
}

_AUG_TO_BINARY: dict[_AugOp, _Op] = {
    cst.AddAssign: cst.Add,
    cst.SubtractAssign: cst.Subtract,
    cst.MultiplyAssign: cst.Multiply,
    cst.DivideAssign: cst.Divide,
    cst.FloorDivideAssign: cst.FloorDivide,
    cst.ModuloAssign: cst.Modulo,
}

_SYMBOL: dict[type[cst.CSTNode], str] = {
    cst.Add: "+",
    cst.Subtract: "-",
    cst.Multiply: "*",
    cst.Divide: "/",
    cst.FloorDivide: "//",
    cst.Modulo: "%",
    cst.Power: "**",
    cst.AddAssign: "+=",
    cst.SubtractAssign: "-=",
    cst.MultiplyAssign: "*=",
    cst.DivideAssign: "/=",
    cst.FloorDivideAssign: "//=",
    cst.ModuloAssign: "%=",
}


def symbol(op: cst.CSTNode) -> str:
    return _SYMBOL.get(type(op), type(op).__name__)


def _respaced(op: cst.BaseBinaryOp | cst.BaseAugOp, kind: _Op | _AugOp) -> cst.CSTNode:
    # Every concrete operator carries both whitespace fields; keep them so only the symbol moves.
    return kind(  # type: ignore[call-arg]
        whitespace_before=getattr(op, "whitespace_before"),  # noqa: B009
        whitespace_after=getattr(op, "whitespace_after"),  # noqa: B009
    )


def edits(site: Site) -> Iterator[Edit]:
    for node in site.nodes:
        if isinstance(node, cst.BinaryOperation):
            for kind, weight in _ALTERNATIVES.get(type(node.operator), ()):
                yield Edit(
                    operator="binary_operator",
                    description=f"replace `{symbol(node.operator)}` with `{_SYMBOL[kind]}`",
                    weight=weight,
                    target=node.operator,
                    replacement=_respaced(node.operator, kind),
                )
        elif isinstance(node, cst.AugAssign):
            yield from _augmented(node)
        elif isinstance(node, cst.Assign) and len(node.targets) == 1:
            yield from _accumulating(node)


def _augmented(node: cst.AugAssign) -> Iterator[Edit]:
    for kind, weight in _AUGMENTED.get(type(node.operator), ()):
        yield Edit(
            operator="binary_operator",
            description=f"replace `{symbol(node.operator)}` with `{_SYMBOL[kind]}`",
            weight=weight,
            target=node.operator,
            replacement=_respaced(node.operator, kind),
        )
    # `total += x` where `total = x` was meant (and the reverse below) is a classic slip.
    yield Edit(
        operator="binary_operator",
        description=f"replace `{symbol(node.operator)}` with `=`",
        weight=30,
        target=node,
        replacement=cst.Assign(targets=[cst.AssignTarget(target=node.target)], value=node.value),
    )


def _accumulating(node: cst.Assign) -> Iterator[Edit]:
    target = node.targets[0].target
    if not isinstance(target, cst.Name | cst.Attribute | cst.Subscript):
        return
    for kind, weight in ((cst.AddAssign, 30), (cst.SubtractAssign, 33)):
        yield Edit(
            operator="binary_operator",
            description=f"replace `=` with `{_SYMBOL[kind]}`",
            weight=weight,
            target=node,
            replacement=cst.AugAssign(target=target, operator=kind(), value=node.value),
        )
