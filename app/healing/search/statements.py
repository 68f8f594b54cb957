"""Removed statements: the suspicious statement itself was the bug."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from app.healing.search.site import Edit, Site


def edits(site: Site) -> Iterator[Edit]:
    anchor = site.anchor
    if isinstance(anchor, cst.FunctionDef | cst.ClassDef) or _is_docstring(anchor):
        return
    simple = isinstance(anchor, cst.SimpleStatementLine)
    yield Edit(
        operator="remove_statement",
        description="remove the statement",
        weight=40 if simple else 42,
        target=anchor,
        kind="remove",
    )


def _is_docstring(statement: cst.BaseStatement) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, cst.SimpleString | cst.ConcatenatedString)
    )
