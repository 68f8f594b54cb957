"""Performance codemods, one libcst transform each: append loops → comprehensions, membership
in a literal list of strings → in a set literal. Proposed only with a benchmark that shows the
gain (`app.evolution.benchmark`); narrow on purpose, so behaviour cannot change unseen."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst
from libcst import matchers as m

SPEEDUP = "speedup"
# Anything that makes a loop and a comprehension differ: scope, suspension, assignment.
_UNSAFE = m.Await() | m.Yield() | m.NamedExpr() | m.Lambda() | m.ListComp() | m.GeneratorExp()


def _names(node: cst.CSTNode) -> list[str]:
    return [n.value for n in m.findall(node, m.Name()) if isinstance(n, cst.Name)]


def _append_of(statement: cst.BaseStatement, name: str) -> cst.BaseExpression | None:
    """`name.append(expr)` as a statement of its own: `expr`; else None."""
    call = m.Call(
        func=m.Attribute(value=m.Name(name), attr=m.Name("append")),
        args=[m.Arg(keyword=None, star="")],
    )
    if not m.matches(statement, m.SimpleStatementLine(body=[m.Expr(value=call)])):
        return None
    assert isinstance(statement, cst.SimpleStatementLine)
    expr = statement.body[0]
    assert isinstance(expr, cst.Expr) and isinstance(expr.value, cst.Call)
    return expr.value.args[0].value


def _target_names(target: cst.BaseAssignTargetExpression) -> list[str] | None:
    if isinstance(target, cst.Name):
        return [target.value]
    if isinstance(target, cst.Tuple) and all(
        isinstance(e.value, cst.Name) for e in target.elements
    ):
        return [e.value.value for e in target.elements if isinstance(e.value, cst.Name)]
    return None


class _AppendLoops(cst.CSTTransformer):
    def __init__(self, module: cst.Module) -> None:
        self.module = module
        self.scopes: list[cst.CSTNode] = []  # functions and classes, innermost last
        self.try_bodies: set[int] = set()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.scopes.append(node)

    def leave_FunctionDef(
        self, original_node: cst.FunctionDef, updated_node: cst.FunctionDef
    ) -> cst.FunctionDef:
        self.scopes.pop()
        return updated_node

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.scopes.append(node)

    def leave_ClassDef(
        self, original_node: cst.ClassDef, updated_node: cst.ClassDef
    ) -> cst.ClassDef:
        self.scopes.pop()
        return updated_node

    def visit_Try(self, node: cst.Try) -> None:
        # A handler could read a list half built by a loop; a comprehension leaves it empty.
        self.try_bodies.add(id(node.body))

    def leave_IndentedBlock(
        self, original_node: cst.IndentedBlock, updated_node: cst.IndentedBlock
    ) -> cst.IndentedBlock:
        if not self.scopes or not isinstance(self.scopes[-1], cst.FunctionDef):
            return updated_node  # class bodies scope comprehensions differently
        if id(original_node) in self.try_bodies:
            return updated_node
        function = self.scopes[-1]
        body = list(updated_node.body)
        changed = False
        index = 0
        while index + 1 < len(body):
            merged = self._merge(function, body[index], body[index + 1])
            if merged is not None:
                body[index : index + 2] = [merged]
                changed = True
            index += 1
        return updated_node.with_changes(body=body) if changed else updated_node

    def _merge(
        self, function: cst.CSTNode, first: cst.BaseStatement, second: cst.BaseStatement
    ) -> cst.BaseStatement | None:
        empty = m.SimpleStatementLine(
            body=[m.Assign(targets=[m.AssignTarget(target=m.Name())], value=m.List(elements=[]))]
        )
        if not m.matches(first, empty) or not isinstance(second, cst.For):
            return None
        assert isinstance(first, cst.SimpleStatementLine)
        assign = first.body[0]
        assert isinstance(assign, cst.Assign) and isinstance(assign.targets[0].target, cst.Name)
        name = assign.targets[0].target.value
        loop = second
        if loop.orelse is not None or loop.asynchronous is not None:
            return None
        if not isinstance(loop.body, cst.IndentedBlock) or len(loop.body.body) != 1:
            return None
        if "#" in self.module.code_for_node(loop):
            return None  # a comment in the loop would be lost
        inner = loop.body.body[0]
        condition: cst.BaseExpression | None = None
        if isinstance(inner, cst.If):
            if inner.orelse is not None or not isinstance(inner.body, cst.IndentedBlock):
                return None
            if len(inner.body.body) != 1:
                return None
            condition, inner = inner.test, inner.body.body[0]
        element = _append_of(inner, name)
        targets = _target_names(loop.target)
        if element is None or targets is None:
            return None
        parts: list[cst.CSTNode] = [element, loop.iter, loop.target]
        if condition is not None:
            parts.append(condition)
        if any(m.findall(part, _UNSAFE) for part in parts):
            return None
        if any(name in _names(part) for part in parts):
            return None
        # The loop variables must not be read or written anywhere else in the function: a
        # comprehension does not leave them behind.
        outside = _names(function)
        inside = _names(loop)
        if any(outside.count(t) != inside.count(t) for t in targets):
            return None
        comprehension = cst.ListComp(
            elt=element,
            for_in=cst.CompFor(
                target=loop.target,
                iter=loop.iter,
                ifs=[cst.CompIf(test=condition)] if condition is not None else [],
            ),
        )
        return first.with_changes(body=[assign.with_changes(value=comprehension)])


@dataclass(frozen=True)
class AppendLoopToComprehension:
    """`out = []` followed by `for x in xs: out.append(f(x))` (optionally under one `if`) into
    `out = [f(x) for x in xs]`: no method lookup and call per item. Only inside functions, only
    when the loop holds nothing else, and its variables are used nowhere else."""

    name: str = "append_comprehension"
    title: str = "Build lists with comprehensions instead of append loops"
    kind: str = SPEEDUP

    def apply(self, source: str) -> str:
        module = cst.parse_module(source)
        return module.visit(_AppendLoops(module)).code


class _LiteralMembership(cst.CSTTransformer):
    def leave_ComparisonTarget(
        self, original_node: cst.ComparisonTarget, updated_node: cst.ComparisonTarget
    ) -> cst.ComparisonTarget:
        if not isinstance(updated_node.operator, cst.In | cst.NotIn):
            return updated_node
        container = updated_node.comparator
        if not isinstance(container, cst.List | cst.Tuple) or len(container.elements) < 3:
            return updated_node
        if not all(
            isinstance(e, cst.Element)
            and isinstance(e.value, cst.SimpleString)
            and "b" not in e.value.prefix.lower()
            for e in container.elements
        ):
            return updated_node
        elements = [e.with_changes(comma=cst.MaybeSentinel.DEFAULT) for e in container.elements]
        spaced = [
            e.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
            for e in elements[:-1]
        ]
        return updated_node.with_changes(comparator=cst.Set(elements=[*spaced, elements[-1]]))


@dataclass(frozen=True)
class MembershipInStringSet:
    """`x in ["a", "b", "c"]` (a list or tuple of three or more string literals) into
    `x in {"a", "b", "c"}`, which Python compiles to a constant frozenset: one hash lookup
    instead of a comparison per item."""

    name: str = "membership_set"
    title: str = "Test membership in a set literal instead of a list of strings"
    kind: str = SPEEDUP

    def apply(self, source: str) -> str:
        return cst.parse_module(source).visit(_LiteralMembership()).code


def speedups() -> list[AppendLoopToComprehension | MembershipInStringSet]:
    return [AppendLoopToComprehension(), MembershipInStringSet()]
