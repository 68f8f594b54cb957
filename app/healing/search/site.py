"""The mutation site: the statement at a suspicious line, its parsed context, and edit splicing."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Literal, TypeVar, cast

import libcst as cst
from libcst.metadata import (
    CodeRange,
    ExperimentalReentrantCodegenProvider,
    MetadataWrapper,
    PositionProvider,
    Scope,
    ScopeProvider,
)
from libcst.metadata.reentrant_codegen import CodegenPartial

from app.errors import PermanentError

EditKind = Literal["replace", "insert_before", "remove"]
_NodeT = TypeVar("_NodeT", bound=cst.CSTNode)
_T = TypeVar("_T")


@dataclass(frozen=True, eq=False)
class Edit:
    """One small change at the site; `weight` orders edits, lower meaning more likely a fix."""

    operator: str
    description: str
    weight: float
    target: cst.CSTNode
    replacement: cst.CSTNode | None = None
    kind: EditKind = "replace"


@dataclass(eq=False)
class Site:
    """The innermost statement covering `line`, with what operators need to propose edits."""

    source: str
    line: int
    module: cst.Module
    anchor: cst.BaseStatement
    roots: tuple[cst.CSTNode, ...]
    positions: Mapping[cst.CSTNode, CodeRange]
    scopes: Mapping[cst.CSTNode, Scope | None]
    partial: CodegenPartial
    anchor_is_sole: bool
    function: cst.FunctionDef | None
    in_loop: bool
    parents: dict[int, cst.CSTNode] = field(default_factory=dict)
    _memo: dict[str, object] = field(default_factory=dict)

    def memo(self, key: str, compute: Callable[[], _T]) -> _T:
        """A per-site cache for facts several operators need (computed once, on demand)."""
        if key not in self._memo:
            self._memo[key] = compute()
        return cast(_T, self._memo[key])

    @cached_property
    def nodes(self) -> tuple[cst.CSTNode, ...]:
        """Every node under the roots, pre-order; also fills `parents` for the site."""
        found: list[cst.CSTNode] = []

        def walk(node: cst.CSTNode) -> None:
            found.append(node)
            for child in node.children:
                if isinstance(child, cst.IndentedBlock):
                    continue
                self.parents[id(child)] = node
                walk(child)

        for root in self.roots:
            walk(root)
        return tuple(found)

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        _ = self.nodes
        return self.parents.get(id(node))

    def encloses(self, outer: cst.CSTNode, inner: cst.CSTNode) -> bool:
        """True when `inner` is `outer` or lies inside it."""
        current: cst.CSTNode | None = inner
        while current is not None:
            if current is outer:
                return True
            current = self.parent(current)
        return False

    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)

    def apply(self, edits: Sequence[Edit]) -> str:
        """The whole module source with the edits spliced in at the anchor statement."""
        statement_edits = [edit for edit in edits if edit.kind != "replace"]
        replacements = {
            id(edit.target): edit.replacement for edit in edits if edit.kind == "replace"
        }
        if not statement_edits:
            spliced = self._splice_roots(edits, replacements)
            if spliced is not None:
                return spliced
        original = self.partial.get_original_module_code()
        start, end = self.partial.start_offset, self.partial.end_offset
        anchor = _replace(self.anchor, replacements) if replacements else self.anchor
        if not statement_edits:
            return (
                original[:start] + self.partial.get_modified_statement_code(anchor) + original[end:]
            )
        edit = statement_edits[0]
        if edit.kind == "remove":
            return original[:start] + self._removed_text(original[start:end]) + original[end:]
        assert isinstance(edit.replacement, cst.BaseStatement)
        guard = edit.replacement.with_changes(leading_lines=leading_lines(self.anchor))
        guard_code = self.partial.get_modified_statement_code(guard)
        if not self.partial.has_trailing_newline:
            guard_code += self.module.default_newline
        body = self.partial.get_modified_statement_code(anchor.with_changes(leading_lines=()))
        return original[:start] + guard_code + body + original[end:]

    def _splice_roots(
        self, edits: Sequence[Edit], replacements: Mapping[int, cst.CSTNode | None]
    ) -> str | None:
        """Regenerate only the edited one-line roots: cheap even under a long compound header."""
        touched: dict[int, cst.CSTNode] = {}
        for edit in edits:
            root = self._root_of(edit.target)
            if root is None or self._root_span(root) is None:
                return None
            touched[id(root)] = root
        # Only the paths from the roots down to the edited nodes need rebuilding.
        paths: set[int] = set()
        for edit in edits:
            current = self.parent(edit.target)
            while current is not None:
                paths.add(id(current))
                current = self.parent(current)
        patches = []
        for root in touched.values():
            span = self._root_span(root)
            assert span is not None
            new_root = root.visit(_Replacer(replacements, paths | {id(root)}))
            assert isinstance(new_root, cst.CSTNode)
            patches.append((span, self.module.code_for_node(new_root)))
        result = self.source
        for (start, end), text in sorted(patches, key=lambda patch: patch[0], reverse=True):
            result = result[:start] + text + result[end:]
        return result

    def _root_of(self, node: cst.CSTNode) -> cst.CSTNode | None:
        current: cst.CSTNode | None = node
        while current is not None and not any(current is root for root in self.roots):
            current = self.parent(current)
        return current

    def _root_span(self, root: cst.CSTNode) -> tuple[int, int] | None:
        """Source offsets of a one-line root whose generated code is exactly its source text."""
        key = f"span:{id(root)}"
        return self.memo(key, lambda: self._measure(root))

    def _measure(self, root: cst.CSTNode) -> tuple[int, int] | None:
        position = self.positions[root]
        if position.start.line != position.end.line:
            return None
        offsets = self.memo("line_offsets", lambda: _line_offsets(self.source))
        start = offsets[position.start.line - 1] + position.start.column
        end = offsets[position.end.line - 1] + position.end.column
        if self.source[start:end] != self.module.code_for_node(root):
            return None
        return start, end

    def _removed_text(self, statement_code: str) -> str:
        # Comments above a removed statement stay: they often describe the surrounding block.
        kept = len(leading_lines(self.anchor))
        lines = statement_code.splitlines(keepends=True)
        leading = "".join(lines[:kept])
        if not self.anchor_is_sole:
            return leading
        stub = cst.SimpleStatementLine(body=[cst.Pass()])
        return leading + self.partial.get_modified_statement_code(stub)


def leading_lines(statement: cst.BaseStatement) -> Sequence[cst.EmptyLine]:
    """The blank and comment lines a statement owns above itself."""
    assert isinstance(statement, cst.SimpleStatementLine | cst.BaseCompoundStatement)
    return statement.leading_lines


def _line_offsets(source: str) -> list[int]:
    offsets = [0]
    for text in source.splitlines(keepends=True):
        offsets.append(offsets[-1] + len(text))
    return offsets


class _Replacer(cst.CSTTransformer):
    def __init__(
        self, replacements: Mapping[int, cst.CSTNode | None], descend: set[int] | None = None
    ) -> None:
        super().__init__()
        self._replacements = replacements
        self._descend = descend

    def on_visit(self, node: cst.CSTNode) -> bool:
        if self._descend is not None:
            return id(node) in self._descend
        # Edits never reach into nested blocks; skipping them keeps long bodies cheap.
        return not isinstance(node, cst.IndentedBlock)

    def on_leave(
        self, original_node: _NodeT, updated_node: _NodeT
    ) -> _NodeT | cst.RemovalSentinel | cst.FlattenSentinel[_NodeT]:
        if id(original_node) not in self._replacements:
            return updated_node
        replacement = self._replacements[id(original_node)]
        # Replacements are built for the node they stand in for, so the kinds match.
        return cst.RemovalSentinel.REMOVE if replacement is None else cast(_NodeT, replacement)


def _replace(
    anchor: cst.BaseStatement, replacements: Mapping[int, cst.CSTNode | None]
) -> cst.BaseStatement:
    result = anchor.visit(_Replacer(replacements))
    assert isinstance(result, cst.BaseStatement)
    return result


@dataclass(frozen=True, eq=False)
class _Analysis:
    module: cst.Module
    positions: Mapping[cst.CSTNode, CodeRange]
    scopes: Mapping[cst.CSTNode, Scope | None]
    partials: Mapping[cst.CSTNode, CodegenPartial]


# Callers search several suspicious lines of one file in turn; parsing and metadata are most of
# the cost, and libcst trees are immutable, so one analysis per recent source is shared.
@lru_cache(maxsize=8)
def _analyse(source: str) -> _Analysis:
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        raise PermanentError(f"cannot mutate a module that does not parse: {error}") from error
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    return _Analysis(
        module=module,
        positions=wrapper.resolve(PositionProvider),
        scopes=wrapper.resolve(ScopeProvider),
        partials=wrapper.resolve(ExperimentalReentrantCodegenProvider),
    )


def build_site(source: str, line: int) -> Site:
    """Parse `source` and find the statement covering `line` (1-based)."""
    analysis = _analyse(source)
    positions = analysis.positions
    found = _locate(analysis.module.body, positions, line, function=None, in_loop=False)
    if found is None:
        raise PermanentError(f"line {line} holds no statement")
    anchor, sole, function, in_loop = found
    return Site(
        source=source,
        line=line,
        module=analysis.module,
        anchor=anchor,
        roots=tuple(_roots(anchor, positions, line)),
        positions=positions,
        scopes=analysis.scopes,
        partial=analysis.partials[anchor],
        anchor_is_sole=sole,
        function=function,
        in_loop=in_loop,
    )


_Found = tuple[cst.BaseStatement, bool, cst.FunctionDef | None, bool]


def _locate(
    body: Sequence[cst.BaseStatement],
    positions: Mapping[cst.CSTNode, CodeRange],
    line: int,
    function: cst.FunctionDef | None,
    in_loop: bool,
) -> _Found | None:
    for statement in body:
        span = positions[statement]
        if not span.start.line <= line <= span.end.line:
            continue
        inner_function = statement if isinstance(statement, cst.FunctionDef) else function
        inner_loop = isinstance(statement, cst.For | cst.While) or (
            in_loop and not isinstance(statement, cst.FunctionDef)
        )
        if isinstance(statement, cst.FunctionDef):
            inner_loop = False
        for block in _blocks(statement):
            deeper = _locate(block.body, positions, line, inner_function, inner_loop)
            if deeper is not None:
                return deeper
        return statement, len(body) == 1, function, in_loop
    return None


def _blocks(node: cst.CSTNode) -> Iterator[cst.IndentedBlock]:
    for child in node.children:
        if isinstance(child, cst.IndentedBlock):
            yield child
        elif not isinstance(child, cst.BaseStatement) or isinstance(child, cst.If):
            # `elif` clauses are If nodes hanging off `orelse`; their blocks belong here too.
            yield from _blocks(child)


def _roots(
    anchor: cst.BaseStatement, positions: Mapping[cst.CSTNode, CodeRange], line: int
) -> list[cst.CSTNode]:
    if isinstance(anchor, cst.SimpleStatementLine):
        candidates: list[cst.CSTNode] = list(anchor.body)
    elif isinstance(anchor, cst.FunctionDef | cst.ClassDef):
        candidates = [param.default for param in _params(anchor) if param.default is not None]
    else:
        candidates = list(_header_expressions(anchor))
    on_line = [
        node
        for node in candidates
        if positions[node].start.line <= line <= positions[node].end.line
    ]
    return on_line or candidates


def _params(definition: cst.FunctionDef | cst.ClassDef) -> list[cst.Param]:
    if isinstance(definition, cst.ClassDef):
        return []
    params = definition.params
    return [*params.posonly_params, *params.params, *params.kwonly_params]


def _header_expressions(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    for child in node.children:
        if isinstance(child, cst.IndentedBlock):
            continue
        if isinstance(child, cst.SimpleStatementSuite):
            yield from child.body
        elif isinstance(child, cst.BaseExpression):
            yield child
        else:
            yield from _header_expressions(child)
