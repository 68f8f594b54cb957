"""Comparison replacement: `<` for `<=`, `==` for `!=`, `is` for `is not`, `in` for `not in`."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from app.healing.search.site import Edit, Site

_Op = type[cst.BaseCompOp]

# Boundary mistakes (`<` for `<=`) and inverted tests (`<` for `>=`, `==` for `!=`) dominate
# the fix-pattern catalogues, so they come first; the other orderings follow.
_ALTERNATIVES: dict[_Op, tuple[tuple[_Op, float], ...]] = {
    cst.LessThan: (
        (cst.LessThanEqual, 10),
        (cst.GreaterThanEqual, 16),
        (cst.GreaterThan, 30),
        (cst.NotEqual, 33),
        (cst.Equal, 34),
    ),
    cst.LessThanEqual: (
        (cst.LessThan, 10),
        (cst.GreaterThan, 16),
        (cst.GreaterThanEqual, 30),
        (cst.Equal, 33),
        (cst.NotEqual, 34),
    ),
    cst.GreaterThan: (
        (cst.GreaterThanEqual, 10),
        (cst.LessThanEqual, 16),
        (cst.LessThan, 30),
        (cst.NotEqual, 33),
        (cst.Equal, 34),
    ),
    cst.GreaterThanEqual: (
        (cst.GreaterThan, 10),
        (cst.LessThan, 16),
        (cst.LessThanEqual, 30),
        (cst.Equal, 33),
        (cst.NotEqual, 34),
    ),
    cst.Equal: (
        (cst.NotEqual, 12),
        (cst.LessThanEqual, 31),
        (cst.GreaterThanEqual, 31),
        (cst.Is, 36),
    ),
    cst.NotEqual: ((cst.Equal, 12), (cst.LessThan, 31), (cst.GreaterThan, 31), (cst.IsNot, 36)),
    cst.Is: ((cst.IsNot, 12), (cst.Equal, 35)),
    cst.IsNot: ((cst.Is, 12), (cst.NotEqual, 35)),
    cst.In: ((cst.NotIn, 12),),
    cst.NotIn: ((cst.In, 12),),
}

_SYMBOL: dict[_Op, str] = {
    cst.LessThan: "<",
    cst.LessThanEqual: "<=",
    cst.GreaterThan: ">",
    cst.GreaterThanEqual: ">=",
    cst.Equal: "==",
    cst.NotEqual: "!=",
    cst.Is: "is",
    cst.IsNot: "is not",
    cst.In: "in",
    cst.NotIn: "not in",
}


def symbol(op: cst.BaseCompOp) -> str:
    return _SYMBOL.get(type(op), type(op).__name__)


def rebuild(op: cst.BaseCompOp, kind: _Op) -> cst.BaseCompOp:
    """An operator of `kind` spaced like `op`, so the diff is the operator alone."""
    before = getattr(op, "whitespace_before", cst.SimpleWhitespace(" "))
    after = getattr(op, "whitespace_after", cst.SimpleWhitespace(" "))
    # Every concrete comparison operator takes both whitespace fields; the base class does not.
    return kind(whitespace_before=before, whitespace_after=after)  # type: ignore[call-arg]


# Identity is right against a singleton; between two values (`sku is wanted`) equality was meant
# almost always, so there `==` comes before `is not`.
_SINGLETONS = frozenset({"None", "True", "False", "NotImplemented", "Ellipsis"})
_IDENTITY_SLIP = {cst.Is: cst.Equal, cst.IsNot: cst.NotEqual}


def edits(site: Site) -> Iterator[Edit]:
    slips = _identity_slips(site)
    for node in site.nodes:
        if not isinstance(node, cst.ComparisonTarget):
            continue
        for kind, weight in _ALTERNATIVES.get(type(node.operator), ()):
            if id(node) in slips and kind is _IDENTITY_SLIP.get(type(node.operator)):
                weight = 11
            yield Edit(
                operator="comparison",
                description=f"replace `{symbol(node.operator)}` with `{_SYMBOL[kind]}`",
                weight=weight,
                target=node.operator,
                replacement=rebuild(node.operator, kind),
            )


def _identity_slips(site: Site) -> set[int]:
    """The `is` and `is not` comparisons at the site whose sides are neither a singleton."""
    found: set[int] = set()
    for node in site.nodes:
        if not isinstance(node, cst.Comparison):
            continue
        left = node.left
        for target in node.comparisons:
            identity = isinstance(target.operator, cst.Is | cst.IsNot)
            if identity and not (_singleton(left) or _singleton(target.comparator)):
                found.add(id(target))
            left = target.comparator
    return found


def _singleton(node: cst.BaseExpression) -> bool:
    return (isinstance(node, cst.Name) and node.value in _SINGLETONS) or isinstance(
        node, cst.Ellipsis
    )
