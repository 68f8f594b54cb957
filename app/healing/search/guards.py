"""Missing guards: `if x is None: return …` (or `continue` in a loop) before the statement, and
guards on empty or None inputs at the function's entry, returning nothing of the kind the
function is seen to return (`[]` where it returns lists, `""` where it returns text)."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from app.healing import value_kinds
from app.healing.search import syntax
from app.healing.search.conditions import subjects
from app.healing.search.site import Edit, Site


def edits(site: Site) -> Iterator[Edit]:
    if site.function is None:
        return
    exits = _exits(site.function, site.in_loop)
    guarded = _guarded_subjects(site)
    for subject in guarded:
        text = site.code(subject)
        for offset, (test, shape) in enumerate(_tests(subject, text)):
            for exit_rank, (exit_text, exit_statement) in enumerate(exits):
                yield Edit(
                    operator="guard",
                    description=f"add `if {shape}: {exit_text}` before the statement",
                    weight=32 + offset + 0.25 * exit_rank,
                    target=site.anchor,
                    replacement=_guard(test, exit_statement),
                    kind="insert_before",
                )
    yield from _entry_guards(site, site.function, guarded)


def _tests(subject: cst.BaseExpression, text: str) -> tuple[tuple[cst.BaseExpression, str], ...]:
    return (
        (syntax.is_none(subject, False), f"{text} is None"),
        (syntax.negate(subject), f"not {text}"),
    )


def _guard(test: cst.BaseExpression, exit_statement: cst.BaseSmallStatement) -> cst.If:
    return cst.If(
        test=test,
        body=cst.IndentedBlock(body=[cst.SimpleStatementLine(body=[exit_statement])]),
    )


def _entry_guards(
    site: Site, function: cst.FunctionDef, guarded: list[cst.BaseExpression]
) -> Iterator[Edit]:
    """`if not items: return []` as the function's first statement, for each parameter the
    statement reads: an empty or None input handled before any work starts."""
    first = _first_statement(function)
    if first is None or first is site.anchor or first not in site.partials:
        return
    params = {param.name.value for param in _parameters(function)}
    names = [s for s in guarded if isinstance(s, cst.Name) and s.value in params]
    exits = [item for item in _exits(function, in_loop=False) if item[0] != "continue"]
    start, _ = site.span(first)
    for subject in names:
        for offset, (test, shape) in enumerate(_tests(subject, subject.value)):
            for exit_rank, (exit_text, exit_statement) in enumerate(exits):
                text = site.render(first, _guard(test, exit_statement))
                yield Edit(
                    operator="guard",
                    description=f"add `if {shape}: {exit_text}` at the start of "
                    f"`{function.name.value}`",
                    weight=33 + offset + 0.25 * exit_rank,
                    target=first,
                    kind="patch",
                    patch=(start, start, text),
                )


def _parameters(function: cst.FunctionDef) -> list[cst.Param]:
    params = function.params
    return [*params.posonly_params, *params.params, *params.kwonly_params]


def _first_statement(function: cst.FunctionDef) -> cst.BaseStatement | None:
    body = function.body
    if not isinstance(body, cst.IndentedBlock) or not body.body:
        return None
    statements = list(body.body)
    if _is_docstring(statements[0]):
        statements = statements[1:]
    return statements[0] if statements else None


def _is_docstring(statement: cst.BaseStatement) -> bool:
    return (
        isinstance(statement, cst.SimpleStatementLine)
        and len(statement.body) == 1
        and isinstance(statement.body[0], cst.Expr)
        and isinstance(statement.body[0].value, cst.SimpleString | cst.ConcatenatedString)
    )


def _guarded_subjects(site: Site) -> list[cst.BaseExpression]:
    """Values the statement reads; those it dereferences (`x.y`, `x[i]`) first."""
    found: dict[str, cst.BaseExpression] = {}
    for root in site.roots:
        read: cst.CSTNode = root
        if isinstance(root, cst.Assign):
            read = root.value
        for subject in subjects(site, read):
            found.setdefault(site.code(subject), subject)
    receivers = {
        site.code(syntax.bare(node.value))
        for node in site.nodes
        if isinstance(node, cst.Attribute | cst.Subscript)
    }
    return sorted(found.values(), key=lambda subject: site.code(subject) not in receivers)


def _exits(function: cst.FunctionDef, in_loop: bool) -> list[tuple[str, cst.BaseSmallStatement]]:
    """How a guard leaves: `continue` in a loop, else a return of nothing of the function's
    observed return kind (its annotation, else what its `return` statements give)."""
    exits: list[tuple[str, cst.BaseSmallStatement]] = []
    if in_loop:
        exits.append(("continue", cst.Continue()))
    kind = value_kinds.observed_return_kind(function)
    if kind == "none" and value_kinds.annotation_kind(function.returns) == "none":
        exits.append(("return", cst.Return()))
        return exits
    if kind is not None and kind != "none":
        empty = value_kinds.EMPTY[kind]
        exits.append((f"return {empty}", cst.Return(value=cst.parse_expression(empty))))
    exits.append(("return None", cst.Return(value=cst.Name("None"))))
    return exits
