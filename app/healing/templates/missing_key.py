"""Missing-key defaults: `KeyError` on `mapping[key]` → `mapping.get(key, default)`."""

from __future__ import annotations

import ast
from collections.abc import Iterator

import libcst as cst

from app.healing.incidents.model import ExceptionInfo
from app.healing.templates.base import LineView, TemplateContext, TemplateEdit

NAME = "missing_key"
# Tried in order; validation keeps the first the tests accept.
_DEFAULTS = ("None", "0", '""', "[]")


class MissingKey:
    name = NAME

    def matches(self, exception: ExceptionInfo) -> bool:
        return exception.short_type == "KeyError"

    def edits(self, context: TemplateContext) -> Iterator[TemplateEdit]:
        view = LineView(context.source, context.line)
        missing = _literal(context.exception.value)
        subscripts = [
            node for node in view.nodes(cst.Subscript) if _single_index(node) and _read(view, node)
        ]
        # A subscript whose literal key is the missing one first; then ones indexed by a variable.
        subscripts.sort(key=lambda node: _rank(node, missing))
        for node in subscripts:
            if _rank(node, missing) > 1:
                continue
            key = view.code(node.slice[0].slice.value)  # type: ignore[attr-defined]  # Index checked
            mapping = view.code(node.value)
            for default in _defaults_for(view, node):
                call = (
                    f"{mapping}.get({key})"
                    if default == "None"
                    else f"{mapping}.get({key}, {default})"
                )
                replacement = view.parse_expression(call).with_changes(
                    lpar=node.lpar, rpar=node.rpar
                )
                yield TemplateEdit(
                    NAME,
                    f"read `{mapping}[{key}]` with a default ({default})",
                    view.replace(node, replacement),
                )


def _defaults_for(view: LineView, node: cst.Subscript) -> tuple[str, ...]:
    """Arithmetic on the value wants a number: try 0 before None there."""
    parent = view.parent(node)
    if isinstance(parent, cst.BinaryOperation | cst.AugAssign | cst.UnaryOperation):
        return ("0", *(default for default in _DEFAULTS if default != "0"))
    return _DEFAULTS


def _literal(value: str) -> object:
    try:
        return ast.literal_eval(value)
    except (ValueError, SyntaxError):
        return value


def _single_index(node: cst.Subscript) -> bool:
    return len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index)


def _read(view: LineView, node: cst.Subscript) -> bool:
    parent = view.parent(node)
    if isinstance(parent, cst.AssignTarget | cst.Del) or (
        isinstance(parent, cst.AugAssign) and parent.target is node
    ):
        return False
    return not isinstance(parent, cst.AnnAssign) or parent.target is not node


def _rank(node: cst.Subscript, missing: object) -> int:
    index = node.slice[0].slice
    assert isinstance(index, cst.Index)
    value = index.value
    if isinstance(value, cst.SimpleString | cst.Integer):
        try:
            return 0 if ast.literal_eval(value.value) == missing else 2
        except (ValueError, SyntaxError):
            return 2
    return 1
