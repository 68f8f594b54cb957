"""Empty-collection guards: `IndexError`, division by a zero length, `max()`/`min()` of nothing."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from app.healing.incidents.model import ExceptionInfo
from app.healing.templates.base import LineView, TemplateContext, TemplateEdit, is_pure

NAME = "empty_collection"
_DIVISIONS = (cst.Divide, cst.FloorDivide, cst.Modulo)


class EmptyCollection:
    name = NAME

    def matches(self, exception: ExceptionInfo) -> bool:
        kind, message = exception.short_type, exception.value
        return (
            (kind == "IndexError" and "out of range" in message)
            or kind == "ZeroDivisionError"
            or (kind == "ValueError" and ("empty sequence" in message or "is empty" in message))
        )

    def edits(self, context: TemplateContext) -> Iterator[TemplateEdit]:
        view = LineView(context.source, context.line)
        kind = context.exception.short_type
        if kind == "IndexError":
            yield from _indexing(view)
        elif kind == "ZeroDivisionError":
            yield from _division(view)
        else:
            yield from _reduction(view)


def _indexing(view: LineView) -> Iterator[TemplateEdit]:
    for node in view.nodes(cst.Subscript):
        if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
            continue
        if not is_pure(view, node.value) or isinstance(view.parent(node), cst.AssignTarget):
            continue
        sequence = view.code(node.value)
        index = node.slice[0].slice.value
        bare = node.with_changes(lpar=(), rpar=())
        if isinstance(index, cst.Integer) or (
            isinstance(index, cst.UnaryOperation) and isinstance(index.expression, cst.Integer)
        ):
            position = int(view.code(index).replace(" ", ""), 0)
            test = sequence if position in (0, -1) else f"len({sequence}) > {_bound(position)}"
        elif is_pure(view, index):
            test = f"-len({sequence}) <= {view.code(index)} < len({sequence})"
        else:
            continue
        replacement = view.parse_expression(f"({view.code(bare)} if {test} else None)")
        yield TemplateEdit(
            NAME, f"use None when `{sequence}` has no such item", view.replace(node, replacement)
        )
        statement = view.statement()
        if statement is not None and view.function() is not None:
            leave = "continue" if view.in_loop(statement) else "return None"
            guard = view.parse_statements(f"if not ({test}):\n    {leave}\n")
            yield TemplateEdit(
                NAME,
                f"`{leave}` early when `{sequence}` is too short",
                view.insert_before(statement, guard),
            )


def _bound(position: int) -> int:
    return position if position >= 0 else -position - 1


def _division(view: LineView) -> Iterator[TemplateEdit]:
    for node in view.nodes(cst.BinaryOperation):
        if not isinstance(node.operator, _DIVISIONS):
            continue
        divisor = view.code(node.right.with_changes(lpar=(), rpar=()))
        bare = view.code(node.with_changes(lpar=(), rpar=()))
        for fallback in ("0", "0.0", "None"):
            replacement = view.parse_expression(f"({bare} if {divisor} else {fallback})")
            yield TemplateEdit(
                NAME, f"use {fallback} when `{divisor}` is zero", view.replace(node, replacement)
            )


def _reduction(view: LineView) -> Iterator[TemplateEdit]:
    for node in view.nodes(cst.Call):
        if not (isinstance(node.func, cst.Name) and node.func.value in ("max", "min")):
            continue
        if len(node.args) != 1 or node.args[0].star or any(a.keyword for a in node.args):
            continue
        for fallback in ("None", "0"):
            argument = cst.Arg(
                keyword=cst.Name("default"),
                value=view.parse_expression(fallback),
                equal=cst.AssignEqual(
                    whitespace_before=cst.SimpleWhitespace(""),
                    whitespace_after=cst.SimpleWhitespace(""),
                ),
            )
            value = node.args[0].value
            if isinstance(value, cst.GeneratorExp) and not value.lpar:
                # A bare generator argument needs its own parentheses beside a keyword.
                value = value.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
            first = node.args[0].with_changes(
                value=value, comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
            )
            replacement = node.with_changes(args=[first, argument])
            yield TemplateEdit(
                NAME,
                f"give `{node.func.value}()` a default ({fallback}) for an empty input",
                view.replace(node, replacement),
            )
