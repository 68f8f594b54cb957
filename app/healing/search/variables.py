"""Another variable of a compatible kind in scope: `end` for `start`, `height` for `width`; and
a number of the function in place of a literal (`offset += size` where `offset += 1` was written).

Two readings of "kind": what the name is bound to (a value, a function, a class, an import), and,
for values of the enclosing function, what kind of value the code shows it holds (a list is not
replaced by a count, nor text by a flag)."""

from __future__ import annotations

from collections.abc import Iterator
from difflib import SequenceMatcher

import libcst as cst
from libcst.metadata import Assignment, BaseAssignment, BuiltinScope, ClassScope, GlobalScope, Scope

from app.healing import value_kinds
from app.healing.search.site import Edit, Site

_MAX_CANDIDATES = 8
_MAX_FOR_LITERAL = 4
_NUMBERS = frozenset({"int", "float"})
_NOT_VARIABLES = frozenset({"None", "True", "False", "self", "cls"})


def is_variable_reference(site: Site, node: cst.Name) -> bool:
    """True for a Name that reads or writes a variable (not an attribute, keyword or definition)."""
    if node.value in _NOT_VARIABLES:
        return False
    parent = site.parent(node)
    if isinstance(parent, cst.Attribute):
        return parent.value is node
    if isinstance(parent, cst.Arg):
        return parent.value is node
    return not isinstance(
        parent,
        cst.FunctionDef
        | cst.ClassDef
        | cst.Param
        | cst.ImportAlias
        | cst.AsName
        | cst.Global
        | cst.Nonlocal
        | cst.NameItem,
    )


def kind_of(scope: Scope, name: str) -> str | None:
    """`value`, `function`, `class` or `import` for a name bound in scope; None otherwise."""
    kinds = {_kind(assignment) for assignment in scope[name]}
    if len(kinds) != 1:
        return None
    return kinds.pop()


def _kind(assignment: BaseAssignment) -> str:
    if not isinstance(assignment, Assignment):
        return "builtin"
    node = assignment.node
    if isinstance(node, cst.FunctionDef):
        return "function"
    if isinstance(node, cst.ClassDef):
        return "class"
    if isinstance(node, cst.Import | cst.ImportFrom):
        return "import"
    return "value"


def visible_names(scope: Scope) -> list[tuple[int, str, str]]:
    """(depth, name, kind) for every name bound where `scope` can see it, innermost first."""
    found: dict[str, tuple[int, str, str]] = {}
    current: Scope | None = scope
    depth = 0
    while current is not None and not isinstance(current, BuiltinScope):
        if current is scope or not isinstance(current, ClassScope):
            for assignment in current.assignments:
                if assignment.name not in found:
                    found[assignment.name] = (depth, assignment.name, _kind(assignment))
        if isinstance(current, GlobalScope):
            break
        current = current.parent
        depth += 1
    return sorted(found.values())


def edits(site: Site) -> Iterator[Edit]:
    function = site.function
    values: dict[str, str] = (
        site.memo(f"kinds:{id(function)}", lambda: value_kinds.assigned_kinds(function))
        if function is not None
        else {}
    )
    yield from _literals(site, function, values)
    for node in site.nodes:
        if not isinstance(node, cst.Name) or not is_variable_reference(site, node):
            continue
        scope = site.scopes.get(node)
        if scope is None:
            continue
        kind = kind_of(scope, node.value)
        if kind is None:
            continue
        storing = isinstance(site.parent(node), cst.AssignTarget | cst.AugAssign)
        for rank, name in enumerate(_candidates(scope, node.value, kind, values)):
            yield Edit(
                operator="variable",
                description=f"replace `{node.value}` with `{name}`",
                weight=(27 if storing else 24) + (0 if kind == "value" else 3) + 0.2 * rank,
                target=node,
                replacement=node.with_changes(value=name),
            )


def _candidates(scope: Scope, original: str, kind: str, values: dict[str, str]) -> list[str]:
    held = values.get(original)
    ranked = sorted(
        (
            depth,
            # Same value kind first, unknown next; incompatible kinds are left out below.
            0 if held is not None and values.get(name) == held else 1,
            -SequenceMatcher(None, original, name).ratio(),
            name,
        )
        for depth, name, other_kind in visible_names(scope)
        if other_kind == kind
        and name != original
        and name not in _NOT_VARIABLES
        and value_kinds.compatible(held, values.get(name))
    )
    return [name for *_, name in ranked[:_MAX_CANDIDATES]]


def _literals(
    site: Site, function: cst.FunctionDef | None, values: dict[str, str]
) -> Iterator[Edit]:
    """An integer literal replaced by a number the function holds: its parameters first (a
    step, a size, a limit the caller passed), then its other numeric locals."""
    if function is None:
        return
    params = function.params
    names = [
        param.name.value
        for param in (*params.posonly_params, *params.params, *params.kwonly_params)
    ]
    names += [name for name in values if name not in names]
    assigned = _assigned_here(site)
    numbers = [n for n in names if values.get(n) in _NUMBERS and n not in assigned]
    for node in site.nodes:
        if not isinstance(node, cst.Integer):
            continue
        for rank, name in enumerate(numbers[:_MAX_FOR_LITERAL]):
            yield Edit(
                operator="variable",
                description=f"replace `{node.value}` with `{name}`",
                weight=29 + 0.2 * rank,
                target=node,
                replacement=cst.Name(name, lpar=node.lpar, rpar=node.rpar),
            )


def _assigned_here(site: Site) -> set[str]:
    """Names the statement binds: `x += x` is no likelier a fix than `x += 1` is right."""
    return {
        node.target.value
        for node in site.nodes
        if isinstance(node, cst.AugAssign | cst.AssignTarget | cst.AnnAssign)
        and isinstance(node.target, cst.Name)
    }
