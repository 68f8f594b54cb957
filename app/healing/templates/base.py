"""What a fix template is, and a view of one source line that templates edit through libcst."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar, cast

import libcst as cst
from libcst.metadata import MetadataWrapper, ParentNodeProvider, PositionProvider

from app.healing.incidents.model import ExceptionInfo

NodeT = TypeVar("NodeT", bound=cst.CSTNode)
AnyNodeT = TypeVar("AnyNodeT", bound=cst.CSTNode)
Statement = cst.SimpleStatementLine | cst.BaseCompoundStatement


@dataclass(frozen=True)
class TemplateContext:
    """One suspicious line of one file, the exception seen there, and the names the repository
    defines anywhere (for typo repair)."""

    source: str
    line: int
    exception: ExceptionInfo
    known_names: frozenset[str] = frozenset()


@dataclass(frozen=True)
class TemplateEdit:
    """A whole new file text produced by one template, with what it changed in words."""

    template: str
    description: str
    source: str


class Template(Protocol):
    """A fix pattern for one kind of exception, applied at one line."""

    name: str

    def matches(self, exception: ExceptionInfo) -> bool: ...

    def edits(self, context: TemplateContext) -> Iterator[TemplateEdit]: ...


def quoted_name(message: str, pattern: str) -> str | None:
    """The first capture of `pattern` in an exception message, or None."""
    match = re.search(pattern, message)
    return match.group(1) if match else None


class _Replace(cst.CSTTransformer):
    def __init__(
        self, target: cst.CSTNode, replacement: cst.CSTNode | cst.FlattenSentinel[cst.CSTNode]
    ) -> None:
        self.target = target
        self.replacement = replacement

    def on_leave(
        self, original_node: AnyNodeT, updated_node: AnyNodeT
    ) -> AnyNodeT | cst.RemovalSentinel | cst.FlattenSentinel[AnyNodeT]:
        if original_node is self.target:
            # The replacement fits where the target stood; libcst checks it when rendering.
            return cast("AnyNodeT | cst.FlattenSentinel[AnyNodeT]", self.replacement)
        return updated_node


class LineView:
    """A parsed module seen from one line: the nodes there, their statement and function."""

    def __init__(self, source: str, line: int) -> None:
        self.module = cst.parse_module(source)
        self.line = line
        wrapper = MetadataWrapper(self.module, unsafe_skip_copy=True)
        self._positions = wrapper.resolve(PositionProvider)
        self._parents = wrapper.resolve(ParentNodeProvider)

    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)

    def covers(self, node: cst.CSTNode) -> bool:
        position = self._positions.get(node)
        return position is not None and position.start.line <= self.line <= position.end.line

    def start_line(self, node: cst.CSTNode) -> int:
        return self._positions[node].start.line

    def nodes(self, kind: type[NodeT]) -> list[NodeT]:
        """Nodes of `kind` spanning the line, innermost first; those starting on it before."""
        found = [node for node in self._positions if isinstance(node, kind) and self.covers(node)]
        return sorted(
            found,
            key=lambda n: (
                self.start_line(n) != self.line,
                self._positions[n].end.line - self._positions[n].start.line,
                len(self.code(n)),
            ),
        )

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        return self._parents.get(node)

    def ancestors(self, node: cst.CSTNode) -> Iterator[cst.CSTNode]:
        current = self.parent(node)
        while current is not None:
            yield current
            current = self.parent(current)

    def statement(self) -> cst.SimpleStatementLine | cst.BaseCompoundStatement | None:
        """The innermost statement whose own text (a compound's header) holds the line."""
        best: cst.SimpleStatementLine | cst.BaseCompoundStatement | None = None
        for node in self._positions:
            if isinstance(node, cst.SimpleStatementLine) and self.covers(node):
                return node
            if isinstance(node, cst.BaseCompoundStatement) and self.covers(node):
                body_start = self.start_line(node.body)
                if self.line < body_start or self.start_line(node) == self.line:
                    best = node
        return best

    def function(self) -> cst.FunctionDef | None:
        functions = self.nodes(cst.FunctionDef)
        return functions[0] if functions else None

    def in_loop(self, node: cst.CSTNode) -> bool:
        for ancestor in self.ancestors(node):
            if isinstance(ancestor, cst.FunctionDef | cst.ClassDef):
                return False
            if isinstance(ancestor, cst.For | cst.While):
                return True
        return False

    def parse_expression(self, code: str) -> cst.BaseExpression:
        return cst.parse_expression(code, config=self.module.config_for_parsing)

    def parse_statements(self, code: str) -> list[cst.BaseStatement]:
        parsed = cst.parse_module(code, config=self.module.config_for_parsing)
        return list(parsed.body)

    def replace(self, target: cst.CSTNode, replacement: cst.CSTNode) -> str:
        return self._transform(target, replacement)

    def insert_before(self, target: Statement, statements: Sequence[cst.BaseStatement]) -> str:
        first, *rest = statements
        # Comments and blank lines above the old statement stay above the new block.
        first = first.with_changes(leading_lines=target.leading_lines)
        moved = target.with_changes(leading_lines=())
        return self._transform(target, cst.FlattenSentinel([first, *rest, moved]))

    def insert_at_body_start(
        self, function: cst.FunctionDef, statements: Sequence[cst.BaseStatement]
    ) -> str:
        body = function.body
        if not isinstance(body, cst.IndentedBlock):
            return self.module.code
        items = list(body.body)
        skip = 1 if items and _is_docstring(items[0]) else 0
        new_body = body.with_changes(body=[*items[:skip], *statements, *items[skip:]])
        return self._transform(body, new_body)

    def wrap_in_if(self, target: Statement, test: str) -> str:
        header = cst.ensure_type(self.parse_statements(f"if {test}:\n    pass\n")[0], cst.If)
        inner = target.with_changes(leading_lines=())
        wrapped = header.with_changes(
            body=cst.IndentedBlock(body=[inner]), leading_lines=target.leading_lines
        )
        return self._transform(target, wrapped)

    def _transform(
        self, target: cst.CSTNode, replacement: cst.CSTNode | cst.FlattenSentinel[cst.CSTNode]
    ) -> str:
        return self.module.visit(_Replace(target, replacement)).code


def _is_docstring(statement: cst.BaseStatement) -> bool:
    if not isinstance(statement, cst.SimpleStatementLine) or len(statement.body) != 1:
        return False
    expression = statement.body[0]
    return isinstance(expression, cst.Expr) and isinstance(
        expression.value, cst.SimpleString | cst.ConcatenatedString
    )


def is_pure(view: LineView, node: cst.BaseExpression) -> bool:
    """An expression safe to evaluate twice: names, attributes and literal subscripts only."""
    if isinstance(node, cst.Name):
        return True
    if isinstance(node, cst.Attribute):
        return is_pure(view, node.value)
    if isinstance(node, cst.Subscript):
        return is_pure(view, node.value) and all(
            isinstance(element.slice, cst.Index)
            and isinstance(element.slice.value, cst.SimpleString | cst.Integer | cst.Name)
            for element in node.slice
        )
    return False
