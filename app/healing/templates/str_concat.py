"""str/int mixing: `TypeError` on `+` between str and a number → convert one operand."""

from __future__ import annotations

import re
from collections.abc import Iterator

import libcst as cst

from app.healing.incidents.model import ExceptionInfo
from app.healing.templates.base import LineView, TemplateContext, TemplateEdit

NAME = "str_concat"
_STR_FIRST = re.compile(r'can only concatenate str \(not "(\w+)"\) to str')
_OPERANDS = re.compile(r"unsupported operand type\(s\) for \+=?: '(\w+)' and '(\w+)'")
_NUMBERS = ("int", "float")


class StrConcat:
    name = NAME

    def matches(self, exception: ExceptionInfo) -> bool:
        if exception.short_type != "TypeError":
            return False
        operands = _OPERANDS.search(exception.value)
        return bool(_STR_FIRST.search(exception.value)) or (
            operands is not None
            and "str" in operands.groups()
            and set(operands.groups()) & set(_NUMBERS) != set()
        )

    def edits(self, context: TemplateContext) -> Iterator[TemplateEdit]:
        view = LineView(context.source, context.line)
        message = context.exception.value
        operands = _OPERANDS.search(message)
        left_is_str = bool(_STR_FIRST.search(message)) or (
            operands is not None and operands.group(1) == "str"
        )
        # Convert the number to text first (the usual intent), then the text to a number.
        plans = (
            [("right", "str"), ("left", "int")]
            if left_is_str
            else [("left", "str"), ("right", "int")]
        )
        for node in view.nodes(cst.BinaryOperation):
            if not isinstance(node.operator, cst.Add):
                continue
            for side, convert in plans:
                operand = node.left if side == "left" else node.right
                if _already(operand, convert):
                    continue
                bare = operand.with_changes(lpar=(), rpar=())
                wrapped = view.parse_expression(f"{convert}({view.code(bare)})")
                new_node = node.with_changes(**{side: wrapped})
                yield TemplateEdit(
                    NAME,
                    f"convert `{view.code(bare)}` with {convert}() before `+`",
                    view.replace(node, new_node),
                )
        for augmented in view.nodes(cst.AugAssign):
            if isinstance(augmented.operator, cst.AddAssign) and not _already(
                augmented.value, "str"
            ):
                wrapped = view.parse_expression(f"str({view.code(augmented.value)})")
                yield TemplateEdit(
                    NAME,
                    f"convert `{view.code(augmented.value)}` with str() before `+=`",
                    view.replace(augmented, augmented.with_changes(value=wrapped)),
                )


def _already(operand: cst.BaseExpression, convert: str) -> bool:
    if isinstance(operand, cst.SimpleString | cst.FormattedString | cst.ConcatenatedString):
        return True
    return (
        isinstance(operand, cst.Call)
        and isinstance(operand.func, cst.Name)
        and operand.func.value == convert
    )
