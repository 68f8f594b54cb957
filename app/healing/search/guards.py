"""Missing guards: `if x is None: return …` (or `continue` in a loop) before the statement."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from app.healing.search import syntax
from app.healing.search.conditions import subjects
from app.healing.search.site import Edit, Site

# What a function annotated with these types most plausibly returns when there is nothing to do.
_EMPTY_RESULTS: dict[str, str] = {
    "int": "0",
    "float": "0.0",
    "str": '""',
    "bool": "False",
    "list": "[]",
    "dict": "{}",
    "set": "set()",
    "tuple": "()",
}


def edits(site: Site) -> Iterator[Edit]:
    if site.function is None:
        return
    exits = _exits(site.function, site.in_loop)
    for subject in _guarded_subjects(site):
        text = site.code(subject)
        for offset, (test, shape) in enumerate(
            (
                (syntax.is_none(subject, False), f"{text} is None"),
                (syntax.negate(subject), f"not {text}"),
            )
        ):
            for exit_rank, (exit_text, exit_statement) in enumerate(exits):
                guard = cst.If(
                    test=test,
                    body=cst.IndentedBlock(body=[cst.SimpleStatementLine(body=[exit_statement])]),
                )
                yield Edit(
                    operator="guard",
                    description=f"add `if {shape}: {exit_text}` before the statement",
                    weight=32 + offset + 0.25 * exit_rank,
                    target=site.anchor,
                    replacement=guard,
                    kind="insert_before",
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
    exits: list[tuple[str, cst.BaseSmallStatement]] = []
    if in_loop:
        exits.append(("continue", cst.Continue()))
    annotation = function.returns.annotation if function.returns is not None else None
    if isinstance(annotation, cst.Subscript):
        annotation = annotation.value
    if isinstance(annotation, cst.Name) and annotation.value in _EMPTY_RESULTS:
        empty = _EMPTY_RESULTS[annotation.value]
        exits.append((f"return {empty}", cst.Return(value=cst.parse_expression(empty))))
    elif isinstance(annotation, cst.Name) and annotation.value == "None":
        exits.append(("return", cst.Return()))
    else:
        exits.append(("return None", cst.Return(value=cst.Name("None"))))
    return exits
