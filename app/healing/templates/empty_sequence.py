"""`IndexError` on an empty sequence: `items.pop()`, `random.choice(items)`, `heapq.heappop(h)`
or `items[0]` on nothing → leave early with nothing of the function's observed return kind."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from app.healing.incidents.model import ExceptionInfo
from app.healing.templates import guarded_exit
from app.healing.templates.base import LineView, TemplateContext, TemplateEdit, is_pure

NAME = "empty_sequence"
_TAKING_FUNCTIONS = frozenset({"choice", "heappop", "heapreplace"})
_TAKING_METHODS = frozenset({"pop", "popleft", "popitem"})


class EmptySequence:
    name = NAME

    def matches(self, exception: ExceptionInfo) -> bool:
        message = exception.value
        return exception.short_type == "IndexError" and (
            "empty" in message or "out of range" in message
        )

    def edits(self, context: TemplateContext) -> Iterator[TemplateEdit]:
        view = LineView(context.source, context.line)
        statement = view.statement()
        if statement is None:
            return
        seen: set[str] = set()
        for sequence in _sequences(view):
            code = view.code(sequence.with_changes(lpar=(), rpar=()))
            if code in seen:
                continue
            seen.add(code)
            yield from guarded_exit.guards(view, statement, code, f"not {code}", NAME, "is empty")


def _sequences(view: LineView) -> Iterator[cst.BaseExpression]:
    """What the line takes an item from, in the order the line shows them."""
    for call in view.nodes(cst.Call):
        func = call.func
        taking = isinstance(func, cst.Attribute) and func.attr.value in _TAKING_METHODS
        if taking and isinstance(func, cst.Attribute) and is_pure(view, func.value):
            yield func.value
        name = (
            func.value
            if isinstance(func, cst.Name)
            else func.attr.value
            if isinstance(func, cst.Attribute)
            else None
        )
        if name in _TAKING_FUNCTIONS and call.args and is_pure(view, call.args[0].value):
            yield call.args[0].value
    for node in view.nodes(cst.Subscript):
        indexed = len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index)
        stored = isinstance(view.parent(node), cst.AssignTarget)
        if indexed and not stored and is_pure(view, node.value):
            yield node.value
