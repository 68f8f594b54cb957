"""`RecursionError`: a recursive call that never reaches its base case → the call's arguments
stepped otherwise (`middle + 1` for `middle`, `n - 1` for `n + 1`, `rest[1:]` for `rest`)."""

from __future__ import annotations

from collections.abc import Iterator

from app.healing.incidents.model import ExceptionInfo
from app.healing.search import build_site, recursion
from app.healing.templates.base import TemplateContext, TemplateEdit

NAME = "runaway_recursion"


class RunawayRecursion:
    name = NAME

    def matches(self, exception: ExceptionInfo) -> bool:
        return exception.short_type == "RecursionError"

    def edits(self, context: TemplateContext) -> Iterator[TemplateEdit]:
        site = build_site(context.source, context.line)
        for edit in recursion.edits(site):
            yield TemplateEdit(NAME, edit.description, site.apply([edit]))
