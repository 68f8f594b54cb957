"""Another builtin, method or attribute of the same kind: `max` for `min`, `.end` for `.start`."""

from __future__ import annotations

from collections.abc import Iterator
from difflib import SequenceMatcher

import libcst as cst
from libcst.metadata import BuiltinAssignment

from app.healing.search.site import Edit, Site

_FAMILIES: tuple[tuple[str, ...], ...] = (
    ("min", "max"),
    ("any", "all"),
    ("sum", "len"),
    ("sorted", "reversed"),
    ("floor", "ceil", "round", "trunc"),
    # Truncation where rounding was meant (`int(price * 100)`), and the reverse.
    ("int", "round"),
    ("startswith", "endswith"),
    ("strip", "lstrip", "rstrip"),
    ("lower", "upper"),
    ("append", "extend"),
    ("find", "rfind"),
    ("index", "rindex"),
    ("split", "rsplit"),
    ("keys", "values", "items"),
    ("remove", "discard"),
    ("get", "pop"),
    ("isdigit", "isalpha", "isalnum"),
    ("bisect_left", "bisect_right"),
)


def _relations(families: tuple[tuple[str, ...], ...]) -> dict[str, tuple[str, ...]]:
    """Each name's alternatives: a name in several families (`round`) gets all of theirs."""
    related: dict[str, tuple[str, ...]] = {}
    for family in families:
        for name in family:
            related[name] = related.get(name, ()) + tuple(
                other for other in family if other != name
            )
    return related


_RELATED = _relations(_FAMILIES)
_MAX_ATTRIBUTES = 6


def edits(site: Site) -> Iterator[Edit]:
    called = {id(node.func) for node in site.nodes if isinstance(node, cst.Call)}
    for node in site.nodes:
        if isinstance(node, cst.Name) and node.value in _RELATED and _is_builtin(site, node):
            yield from _related(node, node, "builtin")
        elif isinstance(node, cst.Attribute):
            if node.attr.value in _RELATED and id(node) in called:
                yield from _related(node.attr, node.attr, "method")
            yield from _sibling_attributes(site, node, id(node) in called)


def _is_builtin(site: Site, node: cst.Name) -> bool:
    scope = site.scopes.get(node)
    if scope is None:
        return False
    assignments = scope[node.value]
    return all(isinstance(assignment, BuiltinAssignment) for assignment in assignments)


def _related(name: cst.Name, target: cst.CSTNode, what: str) -> Iterator[Edit]:
    for offset, other in enumerate(_RELATED[name.value]):
        yield Edit(
            operator=what,
            description=f"replace `{name.value}` with `{other}`",
            weight=21 + 0.2 * offset,
            target=target,
            replacement=name.with_changes(value=other),
        )


def _sibling_attributes(site: Site, node: cst.Attribute, is_called: bool) -> Iterator[Edit]:
    receiver = dotted(node.value)
    if receiver is None:
        return
    seen = attribute_catalogue(site).get((receiver, is_called), ())
    original = node.attr.value
    ranked = sorted(
        (-SequenceMatcher(None, original, other).ratio(), other)
        for other in seen
        if other != original
    )
    for rank, (_, other) in enumerate(ranked[:_MAX_ATTRIBUTES]):
        yield Edit(
            operator="attribute",
            description=f"replace `{receiver}.{original}` with `{receiver}.{other}`",
            weight=26 + 0.2 * rank,
            target=node.attr,
            replacement=node.attr.with_changes(value=other),
        )


def dotted(node: cst.BaseExpression) -> str | None:
    """`a.b.c` for a chain of names and attributes, None for anything else."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        head = dotted(node.value)
        return None if head is None else f"{head}.{node.attr.value}"
    return None


class _AttributeCatalogue(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.found: dict[tuple[str, bool], dict[str, None]] = {}
        self._called: set[int] = set()

    def visit_Call(self, node: cst.Call) -> None:
        self._called.add(id(node.func))

    def visit_Attribute(self, node: cst.Attribute) -> None:
        receiver = dotted(node.value)
        if receiver is not None:
            key = (receiver, id(node) in self._called)
            self.found.setdefault(key, {})[node.attr.value] = None


def attribute_catalogue(site: Site) -> dict[tuple[str, bool], dict[str, None]]:
    """Attribute names the module uses, by receiver and whether they are called."""
    return site.memo("attributes", lambda: _catalogue(site.module))


def _catalogue(module: cst.Module) -> dict[tuple[str, bool], dict[str, None]]:
    visitor = _AttributeCatalogue()
    module.visit(visitor)
    return visitor.found
