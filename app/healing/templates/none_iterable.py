"""`TypeError` iterating `None`: `sorted(tags)`, `x in tags`, `a, b = pair`, `", ".join(tags)`
on a None → iterate nothing (`tags or []`), or leave early with nothing of the function's
observed return kind."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from app.healing.incidents.model import ExceptionInfo
from app.healing.templates import guarded_exit
from app.healing.templates.base import LineView, TemplateContext, TemplateEdit, is_pure

NAME = "none_iterable"
_ITERATING = frozenset(
    {"sorted", "list", "set", "tuple", "frozenset", "sum", "max", "min", "any", "all",
     "enumerate", "zip", "map", "filter", "dict", "len", "reversed", "iter", "next"}
)  # fmt: skip
_ITERATING_METHODS = frozenset({"join", "extend", "update", "union", "issubset", "difference"})


class NoneIterable:
    name = NAME

    def matches(self, exception: ExceptionInfo) -> bool:
        message = exception.value
        return (
            exception.short_type == "TypeError"
            and "NoneType" in message
            and ("iterable" in message or "iterate" in message)
        )

    def edits(self, context: TemplateContext) -> Iterator[TemplateEdit]:
        view = LineView(context.source, context.line)
        statement = view.statement()
        if statement is None:
            return
        seen: set[str] = set()
        for suspect, empty in _suspects(view):
            code = view.code(suspect.with_changes(lpar=(), rpar=()))
            if code in seen:
                continue
            seen.add(code)
            replacement = view.parse_expression(f"({code} or {empty})")
            yield TemplateEdit(
                NAME,
                f"iterate over nothing when `{code}` is None",
                view.replace(suspect, replacement),
            )
            yield from guarded_exit.guards(
                view, statement, code, f"{code} is None", NAME, "is None"
            )


def _suspects(view: LineView) -> Iterator[tuple[cst.BaseExpression, str]]:
    """Values the line iterates, with the empty value that fits where each stands."""
    for call in view.nodes(cst.Call):
        func = call.func
        name = func.value if isinstance(func, cst.Name) else None
        method = func.attr.value if isinstance(func, cst.Attribute) else None
        if name in _ITERATING or method in _ITERATING_METHODS:
            for arg in call.args:
                if arg.keyword is None and is_pure(view, arg.value):
                    yield arg.value, "{}" if method == "update" or name == "dict" else "[]"
        for arg in call.args:
            if arg.star == "*" and is_pure(view, arg.value):
                yield arg.value, "()"
            elif arg.star == "**" and is_pure(view, arg.value):
                yield arg.value, "{}"
    for comparison in view.nodes(cst.Comparison):
        for target in comparison.comparisons:
            if isinstance(target.operator, cst.In | cst.NotIn) and is_pure(view, target.comparator):
                yield target.comparator, "()"
    for assign in view.nodes(cst.Assign):
        unpacks = any(isinstance(t.target, cst.Tuple | cst.List) for t in assign.targets)
        if unpacks and is_pure(view, assign.value):
            width = max(
                len(t.target.elements)
                for t in assign.targets
                if isinstance(t.target, cst.Tuple | cst.List)
            )
            nones = ", ".join(["None"] * width) + ("," if width == 1 else "")
            yield assign.value, f"({nones})"
    loops: list[cst.For | cst.CompFor] = [*view.nodes(cst.For), *view.nodes(cst.CompFor)]
    for loop in loops:
        if is_pure(view, loop.iter):
            yield loop.iter, "[]"
