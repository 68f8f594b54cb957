"""Unbound locals: `UnboundLocalError` → declare the module global, or initialise the local."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from app.healing.incidents.model import ExceptionInfo
from app.healing.templates.base import LineView, TemplateContext, TemplateEdit, quoted_name

NAME = "unbound_local"
_INITIAL_VALUES = ("None", "0", "[]", '""')


class UnboundLocal:
    name = NAME

    def matches(self, exception: ExceptionInfo) -> bool:
        return exception.short_type == "UnboundLocalError"

    def edits(self, context: TemplateContext) -> Iterator[TemplateEdit]:
        variable = quoted_name(context.exception.value, r"variable '(\w+)'")
        view = LineView(context.source, context.line)
        function = view.function()
        if variable is None or function is None:
            return
        if variable in _module_names(view.module):
            statement = view.parse_statements(f"global {variable}\n")
            yield TemplateEdit(
                NAME,
                f"`{variable}` is the module's: declare it global in `{function.name.value}`",
                view.insert_at_body_start(function, statement),
            )
        for value in _INITIAL_VALUES:
            statement = view.parse_statements(f"{variable} = {value}\n")
            yield TemplateEdit(
                NAME,
                f"initialise `{variable}` to {value} before any branch can skip it",
                view.insert_at_body_start(function, statement),
            )


def _module_names(module: cst.Module) -> set[str]:
    names: set[str] = set()
    for statement in module.body:
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                targets = small.targets if isinstance(small, cst.Assign) else []
                for target in targets:
                    if isinstance(target.target, cst.Name):
                        names.add(target.target.value)
                if isinstance(small, cst.AnnAssign) and isinstance(small.target, cst.Name):
                    names.add(small.target.value)
    return names
