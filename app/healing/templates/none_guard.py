"""None guards: `AttributeError`/`TypeError` on `NoneType` → skip the work when a value is None."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from app.healing.incidents.model import ExceptionInfo
from app.healing.templates.base import LineView, TemplateContext, TemplateEdit, is_pure, quoted_name

NAME = "none_guard"


class NoneGuard:
    name = NAME

    def matches(self, exception: ExceptionInfo) -> bool:
        return (
            exception.short_type in ("AttributeError", "TypeError")
            and "NoneType" in exception.value
        )

    def edits(self, context: TemplateContext) -> Iterator[TemplateEdit]:
        view = LineView(context.source, context.line)
        statement = view.statement()
        if statement is None:
            return
        seen: set[str] = set()
        for suspect in _suspects(view, context.exception.value):
            code = view.code(suspect)
            if code in seen:
                continue
            seen.add(code)
            yield from _guards(view, statement, suspect, code)


def _suspects(view: LineView, message: str) -> Iterator[cst.BaseExpression]:
    """Expressions on the line that the message says were None, most specific first."""
    attribute = quoted_name(message, r"has no attribute '(\w+)'")
    if attribute:
        for node in view.nodes(cst.Attribute):
            if node.attr.value == attribute and is_pure(view, node.value):
                yield node.value
        return
    if "subscriptable" in message:
        for sub in view.nodes(cst.Subscript):
            if is_pure(view, sub.value):
                yield sub.value
    if "iterable" in message:
        for loop in view.nodes(cst.For):
            if is_pure(view, loop.iter):
                yield loop.iter
        for clause in view.nodes(cst.CompFor):
            if is_pure(view, clause.iter):
                yield clause.iter
    if "callable" in message:
        for call in view.nodes(cst.Call):
            if is_pure(view, call.func):
                yield call.func
    if "len()" in message:
        for call in view.nodes(cst.Call):
            is_len = isinstance(call.func, cst.Name) and call.func.value == "len"
            if is_len and call.args and is_pure(view, call.args[0].value):
                yield call.args[0].value
    if "operand" in message:
        for operation in view.nodes(cst.BinaryOperation):
            for side in (operation.left, operation.right):
                if is_pure(view, side):
                    yield side


def _guards(
    view: LineView,
    statement: cst.SimpleStatementLine | cst.BaseCompoundStatement,
    suspect: cst.BaseExpression,
    code: str,
) -> Iterator[TemplateEdit]:
    loop = view.parent(suspect)
    if isinstance(loop, cst.For | cst.CompFor) and loop.iter is suspect:
        fallback = suspect.with_changes(lpar=(), rpar=())
        replacement = view.parse_expression(f"({view.code(fallback)} or [])")
        yield TemplateEdit(
            NAME, f"iterate over nothing when `{code}` is None", view.replace(suspect, replacement)
        )
    if view.function() is not None:
        leave = "continue" if view.in_loop(statement) else "return None"
        guard = view.parse_statements(f"if {code} is None:\n    {leave}\n")
        yield TemplateEdit(
            NAME,
            f"`{leave}` early when `{code}` is None",
            view.insert_before(statement, guard),
        )
    if not _returns(statement):
        yield TemplateEdit(
            NAME,
            f"run the statement only when `{code}` is not None",
            view.wrap_in_if(statement, f"{code} is not None"),
        )


def _returns(statement: cst.SimpleStatementLine | cst.BaseCompoundStatement) -> bool:
    return isinstance(statement, cst.SimpleStatementLine) and any(
        isinstance(small, cst.Return | cst.Raise) for small in statement.body
    )
