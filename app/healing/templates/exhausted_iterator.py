"""Exhausted iterators: `StopIteration` from `next(it)` → `next(it, None)`."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from app.healing.incidents.model import ExceptionInfo
from app.healing.templates.base import LineView, TemplateContext, TemplateEdit

NAME = "exhausted_iterator"


class ExhaustedIterator:
    name = NAME

    def matches(self, exception: ExceptionInfo) -> bool:
        return exception.short_type in ("StopIteration", "RuntimeError") and (
            exception.short_type == "StopIteration" or "StopIteration" in exception.value
        )

    def edits(self, context: TemplateContext) -> Iterator[TemplateEdit]:
        view = LineView(context.source, context.line)
        for node in view.nodes(cst.Call):
            if (
                isinstance(node.func, cst.Name)
                and node.func.value == "next"
                and len(node.args) == 1
            ):
                value = node.args[0].value
                if isinstance(value, cst.GeneratorExp) and not value.lpar:
                    # A bare generator argument needs its own parentheses beside a second one.
                    value = value.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])
                first = node.args[0].with_changes(
                    value=value, comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
                )
                replacement = node.with_changes(args=[first, cst.Arg(cst.Name("None"))])
                yield TemplateEdit(
                    NAME, "give `next()` a default (None)", view.replace(node, replacement)
                )
