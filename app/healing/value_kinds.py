"""What kind of value an expression, a variable or a function's return is, read from the code alone.

Guards return "nothing" of the kind a function is seen to return (`[]` where it returns lists,
`""` where it returns text), and replacement operators only swap values of compatible kinds. The
reading is syntactic and cautious: an expression whose kind the code does not show is `None`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import libcst as cst

# The empty value of each kind: what a guard returns when there is nothing to work on.
EMPTY: dict[str, str] = {
    "list": "[]",
    "dict": "{}",
    "set": "set()",
    "tuple": "()",
    "str": '""',
    "int": "0",
    "float": "0.0",
    "bool": "False",
    "none": "None",
}
_NUMBERS = frozenset({"int", "float", "bool"})
_CALLS: dict[str, str] = {
    "list": "list",
    "sorted": "list",
    "dict": "dict",
    "set": "set",
    "frozenset": "set",
    "tuple": "tuple",
    "str": "str",
    "repr": "str",
    "format": "str",
    "len": "int",
    "int": "int",
    "sum": "int",
    "abs": "int",
    "round": "float",
    "float": "float",
    "bool": "bool",
    "isinstance": "bool",
    "any": "bool",
    "all": "bool",
    "callable": "bool",
}
_METHODS: dict[str, str] = {
    "join": "str",
    "strip": "str",
    "lstrip": "str",
    "rstrip": "str",
    "lower": "str",
    "upper": "str",
    "title": "str",
    "capitalize": "str",
    "casefold": "str",
    "zfill": "str",
    "ljust": "str",
    "rjust": "str",
    "center": "str",
    "removeprefix": "str",
    "removesuffix": "str",
    "format": "str",
    "replace": "str",
    "split": "list",
    "rsplit": "list",
    "splitlines": "list",
    "count": "int",
    "find": "int",
    "index": "int",
    "startswith": "bool",
    "endswith": "bool",
    "isdigit": "bool",
    "isalpha": "bool",
}
_ANNOTATIONS: dict[str, str] = {
    "list": "list",
    "List": "list",
    "Sequence": "list",
    "dict": "dict",
    "Dict": "dict",
    "Mapping": "dict",
    "set": "set",
    "Set": "set",
    "frozenset": "set",
    "tuple": "tuple",
    "Tuple": "tuple",
    "str": "str",
    "int": "int",
    "float": "float",
    "bool": "bool",
    "None": "none",
}


def expression_kind(node: cst.BaseExpression) -> str | None:
    """The kind of value `node` evaluates to, when its syntax shows it."""
    if isinstance(node, cst.List | cst.ListComp):
        return "list"
    if isinstance(node, cst.Dict | cst.DictComp):
        return "dict"
    if isinstance(node, cst.Set | cst.SetComp):
        return "set"
    if isinstance(node, cst.Tuple):
        return "tuple"
    if isinstance(node, cst.SimpleString | cst.ConcatenatedString):
        return None if _is_bytes(node) else "str"
    if isinstance(node, cst.FormattedString):
        return "str"
    if isinstance(node, cst.Integer):
        return "int"
    if isinstance(node, cst.Float):
        return "float"
    if isinstance(node, cst.Name):
        return {"True": "bool", "False": "bool", "None": "none"}.get(node.value)
    if isinstance(node, cst.Comparison):
        return "bool"
    if isinstance(node, cst.UnaryOperation):
        if isinstance(node.operator, cst.Not):
            return "bool"
        return expression_kind(node.expression)
    if isinstance(node, cst.BooleanOperation | cst.IfExp):
        sides = (
            (node.left, node.right)
            if isinstance(node, cst.BooleanOperation)
            else (node.body, node.orelse)
        )
        kinds = {expression_kind(side) for side in sides} - {"none"}
        return kinds.pop() if len(kinds) == 1 else None
    if isinstance(node, cst.BinaryOperation):
        return _binary_kind(node)
    if isinstance(node, cst.Call):
        return _call_kind(node)
    return None


def _is_bytes(node: cst.SimpleString | cst.ConcatenatedString) -> bool:
    first = node if isinstance(node, cst.SimpleString) else node.left
    return isinstance(first, cst.SimpleString) and "b" in first.prefix.lower()


def _binary_kind(node: cst.BinaryOperation) -> str | None:
    left, right = expression_kind(node.left), expression_kind(node.right)
    if isinstance(node.operator, cst.Divide):
        return "float" if {left, right} <= _NUMBERS | {None} else None
    if isinstance(node.operator, cst.Modulo) and left == "str":
        return "str"  # `"%s" % value` formats text
    if left is not None and left == right:
        return left
    known = {kind for kind in (left, right) if kind is not None}
    if known <= _NUMBERS and known:
        return "float" if "float" in known else "int"
    return None


def _call_kind(node: cst.Call) -> str | None:
    func = node.func
    if isinstance(func, cst.Name):
        return _CALLS.get(func.value)
    if isinstance(func, cst.Attribute):
        return _METHODS.get(func.attr.value)
    return None


def annotation_kind(annotation: cst.Annotation | None) -> str | None:
    if annotation is None:
        return None
    node = annotation.annotation
    if isinstance(node, cst.Subscript):
        node = node.value
    if isinstance(node, cst.Attribute):
        node = node.attr
    if isinstance(node, cst.Name):
        return _ANNOTATIONS.get(node.value)
    return None


def returned_values(function: cst.FunctionDef) -> Iterator[cst.BaseExpression]:
    """The values of the function's own `return` statements (not those of nested functions)."""
    stack: list[cst.CSTNode] = [function.body]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.Return):
            if node.value is not None:
                yield node.value
            continue
        if isinstance(node, cst.FunctionDef | cst.ClassDef | cst.Lambda):
            continue
        stack.extend(reversed(node.children))


def assigned_kinds(function: cst.FunctionDef) -> dict[str, str]:
    """Kinds of the function's parameters and simple local variables, where every binding agrees."""
    seen: dict[str, set[str | None]] = {}
    params = function.params
    for param in (*params.posonly_params, *params.params, *params.kwonly_params):
        kinds: set[str | None] = {annotation_kind(param.annotation)}
        if param.default is not None:
            kinds.add(expression_kind(param.default))
        kinds.discard(None)
        kinds.discard("none")  # `items=None` says nothing of what `items` holds otherwise
        seen[param.name.value] = kinds or {None}
    stack: list[cst.CSTNode] = [function.body]
    while stack:
        node = stack.pop()
        if isinstance(node, cst.FunctionDef | cst.ClassDef | cst.Lambda):
            continue
        if isinstance(node, cst.Assign):
            for target in node.targets:
                if isinstance(target.target, cst.Name):
                    seen.setdefault(target.target.value, set()).add(expression_kind(node.value))
        elif isinstance(node, cst.AnnAssign) and isinstance(node.target, cst.Name):
            seen.setdefault(node.target.value, set()).add(annotation_kind(node.annotation))
        elif isinstance(node, cst.AugAssign) and isinstance(node.target, cst.Name):
            seen.setdefault(node.target.value, set()).add(expression_kind(node.value))
        stack.extend(node.children)
    found: dict[str, str] = {}
    for name, kinds in seen.items():
        known = {kind for kind in kinds if kind is not None and kind != "none"}
        if len(known) == 1:
            found[name] = known.pop()
        elif known and known <= _NUMBERS:
            found[name] = "float" if "float" in known else "int"
    return found


def kind_of(node: cst.BaseExpression, locals_: dict[str, str]) -> str | None:
    """`expression_kind`, reading names through the function's known local kinds."""
    if isinstance(node, cst.Name) and node.value in locals_:
        return locals_[node.value]
    return expression_kind(node)


def observed_return_kind(function: cst.FunctionDef) -> str | None:
    """The kind the function is seen to return: its annotation, else its `return` statements
    (the most common known kind), else None."""
    annotated = annotation_kind(function.returns)
    if annotated is not None:
        return annotated
    locals_ = assigned_kinds(function)
    counts = Counter(
        kind
        for kind in (kind_of(value, locals_) for value in returned_values(function))
        if kind is not None and kind != "none"
    )
    if not counts:
        return None
    return counts.most_common(1)[0][0]


def compatible(first: str | None, second: str | None) -> bool:
    """Two kinds one value may stand in for the other: equal, both numbers, or one unknown."""
    if first is None or second is None:
        return True
    return first == second or (first in _NUMBERS and second in _NUMBERS)
