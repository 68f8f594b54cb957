"""Running one template on a before-text and reading its edits."""

from __future__ import annotations

import textwrap

from app.healing.incidents.model import ExceptionInfo
from app.healing.templates.base import Template, TemplateContext


def edits_for(
    template: Template,
    before: str,
    line: int,
    kind: str,
    message: str,
    known_names: frozenset[str] = frozenset(),
) -> list[str]:
    exception = ExceptionInfo(kind, message)
    assert template.matches(exception), f"{template.name} should match {kind}: {message}"
    context = TemplateContext(textwrap.dedent(before), line, exception, known_names)
    return [edit.source for edit in template.edits(context)]


def dedent(text: str) -> str:
    return textwrap.dedent(text)
