"""Missing keyword arguments of well-known calls: a sort without `reverse=True` (a ranking built
lowest first), the one flag whose absence a test sees as the whole order reversed."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from app.healing.search import syntax
from app.healing.search.site import Edit, Site

_SORTS = frozenset({"sorted", "sort"})


def edits(site: Site) -> Iterator[Edit]:
    for node in site.nodes:
        if not isinstance(node, cst.Call) or syntax.callee(node) not in _SORTS:
            continue
        if any(arg.star or _named(arg, "reverse") for arg in node.args):
            continue
        yield Edit(
            operator="keyword_argument",
            description=f"add `reverse=True` to `{syntax.callee(node)}(...)`",
            weight=22,
            target=node,
            replacement=_with_keyword(node, "reverse", cst.Name("True")),
        )


def _named(arg: cst.Arg, keyword: str) -> bool:
    return arg.keyword is not None and arg.keyword.value == keyword


def _with_keyword(call: cst.Call, keyword: str, value: cst.BaseExpression) -> cst.Call:
    no_space = cst.SimpleWhitespace("")
    added = cst.Arg(
        keyword=cst.Name(keyword),
        value=value,
        equal=cst.AssignEqual(whitespace_before=no_space, whitespace_after=no_space),
    )
    if not call.args:
        return call.with_changes(args=[added])
    *head, last = call.args
    if isinstance(last.comma, cst.Comma):
        # A trailing comma (a call laid out one argument a line): the new argument takes the
        # last one's comma, the one before the closing bracket; the last takes its neighbour's.
        between = head[-1].comma if head else last.comma
        return call.with_changes(
            args=[*head, last.with_changes(comma=between), added.with_changes(comma=last.comma)]
        )
    comma = cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))
    return call.with_changes(args=[*head, last.with_changes(comma=comma), added])
