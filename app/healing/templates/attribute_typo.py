"""Attribute typos: `AttributeError` → the closest attribute the object's kind really has."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from app.healing.incidents.model import ExceptionInfo
from app.healing.templates.base import LineView, TemplateContext, TemplateEdit, quoted_name
from app.healing.templates.scope import (
    ModuleScope,
    builtin_type_attributes,
    stdlib_attributes,
    suggestions,
)

NAME = "attribute_typo"
_OBJECT = r"^'(\w+)' object has no attribute '(\w+)'"
_MODULE = r"^module '([\w.]+)' has no attribute '(\w+)'"


class AttributeTypo:
    name = NAME

    def matches(self, exception: ExceptionInfo) -> bool:
        return exception.short_type == "AttributeError" and "NoneType" not in exception.value

    def edits(self, context: TemplateContext) -> Iterator[TemplateEdit]:
        message = context.exception.value
        missing = quoted_name(message, r"has no attribute '(\w+)'")
        if missing is None:
            return
        view = LineView(context.source, context.line)
        uses = [node for node in view.nodes(cst.Attribute) if node.attr.value == missing]
        if not uses:
            return
        scope = ModuleScope(view.module)
        owner = quoted_name(message, _OBJECT) or ""
        module = quoted_name(message, _MODULE)
        if module is not None:
            known = stdlib_attributes(module) or context.known_names
        else:
            known = builtin_type_attributes(owner) or (scope.attributes | context.known_names)
        for suggestion in suggestions(context.exception.value, missing, known):
            yield TemplateEdit(
                NAME,
                f"`{owner or module}` has no attribute `{missing}`: use `{suggestion}`",
                _rename(view, uses, suggestion),
            )


def _rename(view: LineView, uses: list[cst.Attribute], suggestion: str) -> str:
    class Rename(cst.CSTTransformer):
        def leave_Attribute(
            self, original_node: cst.Attribute, updated_node: cst.Attribute
        ) -> cst.Attribute:
            if any(original_node is use for use in uses):
                return updated_node.with_changes(attr=cst.Name(suggestion))
            return updated_node

    return view.module.visit(Rename()).code
