"""Name typos: `NameError` → the closest name in scope, or the missing standard-library import."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import libcst as cst

from app.healing.incidents.model import ExceptionInfo
from app.healing.templates.base import LineView, TemplateContext, TemplateEdit, quoted_name
from app.healing.templates.scope import ModuleScope, suggestions

NAME = "name_typo"


class NameTypo:
    name = NAME

    def matches(self, exception: ExceptionInfo) -> bool:
        return exception.short_type == "NameError"

    def edits(self, context: TemplateContext) -> Iterator[TemplateEdit]:
        missing = quoted_name(context.exception.value, r"name '(\w+)' is not defined")
        if missing is None:
            return
        view = LineView(context.source, context.line)
        uses = [
            node
            for node in view.nodes(cst.Name)
            if node.value == missing and _is_variable(view, node)
        ]
        if not uses:
            return
        scope = ModuleScope(view.module)
        for suggestion in suggestions(context.exception.value, missing, scope.names):
            yield TemplateEdit(
                NAME,
                f"`{missing}` is not defined: use `{suggestion}`",
                _rename(view, uses, suggestion),
            )
        if missing in sys.stdlib_module_names:
            yield TemplateEdit(
                NAME, f"import the standard-library module `{missing}`", _add_import(view, missing)
            )


def _is_variable(view: LineView, node: cst.Name) -> bool:
    parent = view.parent(node)
    if isinstance(parent, cst.Attribute) and parent.attr is node:
        return False
    return not (isinstance(parent, cst.Arg) and parent.keyword is node)


def _rename(view: LineView, uses: list[cst.Name], suggestion: str) -> str:
    class Rename(cst.CSTTransformer):
        def leave_Name(self, original_node: cst.Name, updated_node: cst.Name) -> cst.Name:
            if any(original_node is use for use in uses):
                return updated_node.with_changes(value=suggestion)
            return updated_node

    return view.module.visit(Rename()).code


def _add_import(view: LineView, module_name: str) -> str:
    body = list(view.module.body)
    position = 0
    for index, statement in enumerate(body):
        if isinstance(statement, cst.SimpleStatementLine) and any(
            isinstance(small, cst.Import | cst.ImportFrom) for small in statement.body
        ):
            position = index + 1
        elif (
            index == 0
            and isinstance(statement, cst.SimpleStatementLine)
            and isinstance(statement.body[0], cst.Expr)
        ):
            position = 1  # after the module docstring
    new_import = view.parse_statements(f"import {module_name}\n")
    return view.module.with_changes(body=[*body[:position], *new_import, *body[position:]]).code
