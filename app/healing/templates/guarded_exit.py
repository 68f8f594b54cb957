"""The guards both empty-input templates write: leave early, returning nothing of the kind the
function is seen to return, before the statement or at the function's entry."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from app.healing import value_kinds
from app.healing.templates.base import LineView, Statement, TemplateEdit


def exits(view: LineView, statement: Statement) -> list[str]:
    """`continue` in a loop, else `return` of the observed kind's empty value, then `None`."""
    function = view.function()
    if function is None:
        return []
    found = ["continue"] if view.in_loop(statement) else []
    kind = value_kinds.observed_return_kind(function)
    if kind is not None and kind != "none":
        found.append(f"return {value_kinds.EMPTY[kind]}")
    found.append("return None")
    return found


def guards(
    view: LineView, statement: Statement, subject: str, test: str, name: str, why: str
) -> Iterator[TemplateEdit]:
    """`if <test>: <exit>` before the statement, then (for a parameter) at the function's entry."""
    function = view.function()
    if function is None:
        return
    for leave in exits(view, statement):
        guard = view.parse_statements(f"if {test}:\n    {leave}\n")
        yield TemplateEdit(
            name, f"`{leave}` early when `{subject}` {why}", view.insert_before(statement, guard)
        )
    if subject in _parameters(function):
        for leave in exits(view, statement):
            if leave == "continue":
                continue
            guard = view.parse_statements(f"if {test}:\n    {leave}\n")
            yield TemplateEdit(
                name,
                f"`{leave}` at the start of `{function.name.value}` when `{subject}` {why}",
                view.insert_at_body_start(function, guard),
            )


def _parameters(function: cst.FunctionDef) -> set[str]:
    params = function.params
    return {param.name.value for param in (*params.posonly_params, *params.params)}
