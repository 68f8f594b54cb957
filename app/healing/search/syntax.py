"""Building replacement expressions that keep Python's precedence: parentheses only where
needed; and the small readings of a tree the operator families share."""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from app.healing.search.site import Site

_BINARY_PRECEDENCE: dict[type[cst.BaseBinaryOp], int] = {
    cst.BitOr: 7,
    cst.BitXor: 8,
    cst.BitAnd: 9,
    cst.LeftShift: 10,
    cst.RightShift: 10,
    cst.Add: 11,
    cst.Subtract: 11,
    cst.Multiply: 12,
    cst.Divide: 12,
    cst.FloorDivide: 12,
    cst.Modulo: 12,
    cst.MatrixMultiply: 12,
    cst.Power: 14,
}
_ATOM = 16


def precedence(node: cst.CSTNode) -> int:
    """How tightly `node` binds as an expression (higher binds tighter)."""
    if isinstance(node, cst.BaseExpression) and node.lpar:
        return _ATOM
    return _operator_precedence(node)


def _operator_precedence(node: cst.CSTNode) -> int:
    if isinstance(node, cst.Tuple | cst.Yield):
        # A bare tuple or yield binds loosest of all: `a, b % c` is not `(a, b) % c`.
        return 0
    if isinstance(node, cst.Lambda):
        return 0
    if isinstance(node, cst.IfExp):
        return 1
    if isinstance(node, cst.NamedExpr):
        return 0
    if isinstance(node, cst.BooleanOperation):
        return 3 if isinstance(node.operator, cst.Or) else 4
    if isinstance(node, cst.UnaryOperation):
        return 5 if isinstance(node.operator, cst.Not) else 13
    if isinstance(node, cst.Comparison):
        return 6
    if isinstance(node, cst.BinaryOperation):
        return _BINARY_PRECEDENCE.get(type(node.operator), 11)
    if isinstance(node, cst.Await):
        return 15
    return _ATOM


def _context_precedence(parent: cst.CSTNode | None, child: cst.CSTNode) -> int:
    """The least precedence `child` needs to sit in `parent` without parentheses."""
    if parent is None:
        return 0
    if isinstance(parent, cst.Attribute | cst.Subscript | cst.Call | cst.Await):
        if isinstance(parent, cst.Call):
            value: cst.CSTNode = parent.func
        elif isinstance(parent, cst.Await):
            value = parent.expression
        else:
            value = parent.value
        return _ATOM if value is child else 0
    if isinstance(parent, cst.BinaryOperation):
        # Left operands of left-associative operators need no parentheses at equal precedence.
        same_side = parent.left is child and not isinstance(parent.operator, cst.Power)
        return _operator_precedence(parent) + (0 if same_side else 1)
    if isinstance(parent, cst.UnaryOperation):
        return _operator_precedence(parent)
    if isinstance(parent, cst.Comparison | cst.ComparisonTarget):
        return 7
    if isinstance(parent, cst.BooleanOperation):
        return _operator_precedence(parent) + 1
    if isinstance(parent, cst.IfExp):
        return 2
    return 0


def parenthesize(node: cst.BaseExpression) -> cst.BaseExpression:
    return node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


def fit(node: cst.BaseExpression, needed: int) -> cst.BaseExpression:
    """`node`, parenthesised when it binds looser than `needed`."""
    return parenthesize(node) if precedence(node) < needed else node


def substitute(
    site: Site, original: cst.BaseExpression, replacement: cst.BaseExpression
) -> cst.BaseExpression:
    """`replacement` made safe to stand where `original` stood (keeping its parentheses)."""
    if original.lpar:
        return replacement.with_changes(lpar=original.lpar, rpar=original.rpar)
    needed = _context_precedence(site.parent(original), original)
    return fit(replacement, needed)


def bare(node: cst.BaseExpression) -> cst.BaseExpression:
    """`node` without its own parentheses, to be re-wrapped by `substitute`."""
    return node.with_changes(lpar=[], rpar=[]) if node.lpar else node


def binary(
    left: cst.BaseExpression, op: cst.BaseBinaryOp, right: cst.BaseExpression
) -> cst.BinaryOperation:
    """`left op right` with each operand parenthesised only where precedence demands."""
    level = _BINARY_PRECEDENCE.get(type(op), 11)
    return cst.BinaryOperation(left=fit(left, level), operator=op, right=fit(right, level + 1))


def negate(node: cst.BaseExpression) -> cst.BaseExpression:
    """`not node`, or the operand itself when `node` already is a negation."""
    if (
        isinstance(node, cst.UnaryOperation)
        and isinstance(node.operator, cst.Not)
        and not node.lpar
    ):
        return node.expression
    return cst.UnaryOperation(operator=cst.Not(), expression=fit(node, 6))


def boolean(
    left: cst.BaseExpression, conjunction: bool, right: cst.BaseExpression
) -> cst.BaseExpression:
    """`left and right` / `left or right`, parenthesising operands that bind looser."""
    op: cst.BaseBooleanOp = cst.And() if conjunction else cst.Or()
    level = 4 if conjunction else 3
    return cst.BooleanOperation(left=fit(left, level), operator=op, right=fit(right, level + 1))


def is_none(subject: cst.BaseExpression, negated: bool) -> cst.Comparison:
    operator: cst.BaseCompOp = cst.IsNot() if negated else cst.Is()
    return cst.Comparison(
        left=fit(subject, 7), comparisons=[cst.ComparisonTarget(operator, cst.Name("None"))]
    )


def one() -> cst.Integer:
    return cst.Integer("1")


def callee(call: cst.Call) -> str | None:
    """The called name: `f` of `f(...)` and of `obj.f(...)`."""
    func = call.func
    if isinstance(func, cst.Name):
        return func.value
    if isinstance(func, cst.Attribute):
        return func.attr.value
    return None


def walk_scope(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """`node` and what it holds, but not the bodies of functions, classes and lambdas in it
    (their statements run elsewhere)."""
    stack: list[cst.CSTNode] = [node]
    while stack:
        current = stack.pop()
        yield current
        if current is not node and isinstance(current, cst.FunctionDef | cst.ClassDef | cst.Lambda):
            continue
        stack.extend(current.children)
