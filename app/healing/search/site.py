"""The mutation site: the statement at a suspicious line, its parsed context, and edit splicing."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Literal, TypeVar, cast

import libcst as cst
from libcst.metadata import (
    CodeRange,
    Scope,
)
from libcst.metadata.reentrant_codegen import CodegenPartial

EditKind = Literal["replace", "insert_before", "remove", "patch"]
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
    # For `patch` edits: source offsets and the text that replaces them (statement-level edits
    # away from the anchor: a guard at the function's entry, swapped or inserted statements).
    patch: tuple[int, int, str] | None = None


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
    # The statements of the anchor's block, and the compound statements around it (outermost
    # first): what statement-level operators move, copy or extend.
    siblings: tuple[cst.BaseStatement, ...] = ()
    enclosing: tuple[cst.BaseStatement, ...] = ()
    partials: Mapping[cst.CSTNode, CodegenPartial] = field(default_factory=dict)
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
        patches = [edit.patch for edit in edits if edit.patch is not None]
        if patches:
            start, end, text = patches[0]  # statement-level edits are applied alone
            return self.source[:start] + text + self.source[end:]
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

    def as_patch(self, edit: Edit) -> tuple[int, int, str]:
        """The edit as source offsets and replacement text, so edits at different lines of one
        module can be combined."""
        if edit.patch is not None:
            return edit.patch
        start, end = self.span(self.anchor)
        mutated = self.apply([edit])
        return start, end, mutated[start : len(mutated) - (len(self.source) - end)]

    def span(self, statement: cst.BaseStatement) -> tuple[int, int]:
        """Source offsets of a statement with its leading lines, indentation and newline."""
        partial = self.partials[statement]
        return partial.start_offset, partial.end_offset

    def render(self, at: cst.BaseStatement, statement: cst.BaseStatement) -> str:
        """`statement` as code indented where `at` stands (with a newline after it)."""
        partial = self.partials[at]
        text = partial.get_modified_statement_code(statement)
        if not text.endswith(("\n", "\r")):
            text += self.module.default_newline
        return text

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
