"""Applying a structured edit with libcst: a function body or whole statements, never raw text."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import Any

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from app.errors import PermanentError
from app.healing.llm_edits.answer import StructuredEdit


def check_edit_target(edit: StructuredEdit, path: str | None = None) -> None:
    """Refuse edits of tests, of files outside the repository, or of another file than `path`."""
    target = PurePosixPath(edit.file.replace("\\", "/"))
    if target.is_absolute() or ".." in target.parts:
        raise PermanentError(f"the LLM edit points outside the repository: {edit.file}")
    if is_test_path(target):
        raise PermanentError(
            f"the LLM edit touches a test file ({edit.file}); tests are never edited"
        )
    if path is not None and target != PurePosixPath(path.replace("\\", "/")):
        raise PermanentError(f"the LLM edit names {edit.file}, but the code shown was {path}")


def is_test_path(path: PurePosixPath) -> bool:
    name = path.name
    return (
        any(part in {"test", "tests", "testing"} for part in path.parts[:-1])
        or name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
    )


def apply_edit(source: str, edit: StructuredEdit, *, path: str | None = None) -> str:
    """`source` with the edit applied through libcst; the result must parse and compile."""
    check_edit_target(edit, path)
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as error:
        raise PermanentError(f"{edit.file} does not parse, so it cannot be edited") from error
    statements = _statements(edit.replacement)
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    positions = wrapper.resolve(PositionProvider)
    if edit.function is not None:
        result = _replace_function(module, edit.function, statements)
    else:
        assert edit.start_line is not None and edit.end_line is not None
        result = _replace_lines(module, positions, edit.start_line, edit.end_line, statements)
    code = result.code
    try:
        compile(code, edit.file, "exec")
    except SyntaxError as error:
        raise PermanentError(f"the edited {edit.file} does not compile: {error.msg}") from error
    return code


def _statements(replacement: str) -> list[cst.BaseStatement]:
    code = textwrap.dedent(replacement.replace("\t", "    ")).strip("\n") + "\n"
    try:
        parsed = cst.parse_module(code)
    except cst.ParserSyntaxError as error:
        raise PermanentError(f"the LLM replacement is not valid Python: {error.message}") from error
    body: list[cst.BaseStatement] = list(parsed.body)
    if not body:
        raise PermanentError("the LLM replacement holds no statements")
    first = body[0]
    if parsed.header and isinstance(first, cst.SimpleStatementLine | cst.BaseCompoundStatement):
        # libcst files comments above the first statement under the module header; keep them.
        body[0] = first.with_changes(leading_lines=[*parsed.header, *first.leading_lines])
    return body


def _replace_function(
    module: cst.Module, qualified: str, statements: list[cst.BaseStatement]
) -> cst.Module:
    found = _FunctionFinder(qualified.split("."))
    module.visit(found)
    if len(found.matches) != 1:
        how = "no" if not found.matches else "more than one"
        raise PermanentError(
            f"the LLM edit names function {qualified}, but {how} such function exists"
        )
    original = found.matches[0]
    new_def = statements[0] if len(statements) == 1 else None
    if isinstance(new_def, cst.FunctionDef) and new_def.name.value == original.name.value:
        # A whole `def` was given: take it, keeping the original's decorators if it has none.
        replacement = new_def.with_changes(leading_lines=original.leading_lines)
        if not new_def.decorators:
            replacement = replacement.with_changes(decorators=original.decorators)
    else:
        body = original.body
        assert isinstance(body, cst.IndentedBlock | cst.SimpleStatementSuite)
        block = cst.IndentedBlock(body=statements)
        if isinstance(body, cst.IndentedBlock):
            block = body.with_changes(body=statements)
        replacement = original.with_changes(body=block)
    return _swap(module, {id(original): [replacement]})


class _FunctionFinder(cst.CSTVisitor):
    def __init__(self, path: list[str]) -> None:
        super().__init__()
        self.path = path
        self.stack: list[str] = []
        self.matches: list[cst.FunctionDef] = []

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.stack.append(node.name.value)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.stack.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        qualified = [*self.stack, node.name.value]
        if qualified[-len(self.path) :] == self.path:
            self.matches.append(node)
        self.stack.append(node.name.value)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.stack.pop()


def _replace_lines(
    module: cst.Module,
    positions: Any,
    start: int,
    end: int,
    statements: list[cst.BaseStatement],
) -> cst.Module:
    total = len(module.code.splitlines())
    if end > total:
        raise PermanentError(
            f"the LLM edit's lines {start}..{end} run past the file's {total} lines"
        )
    run = _statement_run(module, positions, start, end)
    if run is None:
        raise PermanentError(
            f"lines {start}..{end} do not cover whole statements of one block; "
            "name the function instead"
        )
    first = run[0]
    assert isinstance(first, cst.SimpleStatementLine | cst.BaseCompoundStatement)
    lead = statements[0]
    assert isinstance(lead, cst.SimpleStatementLine | cst.BaseCompoundStatement)
    # Comments above the first replaced statement lie outside the range: keep them.
    statements = [lead.with_changes(leading_lines=first.leading_lines), *statements[1:]]
    replacements: dict[int, list[cst.BaseStatement]] = {id(node): [] for node in run}
    replacements[id(first)] = statements
    return _swap(module, replacements)


def _statement_run(
    module: cst.Module, positions: Any, start: int, end: int
) -> list[cst.BaseStatement] | None:
    """The consecutive statements of one block exactly spanning lines start..end."""
    blocks: list[Sequence[cst.BaseStatement]] = [module.body]
    while blocks:
        body = blocks.pop()
        inside = [node for node in body if _within(positions[node], start, end)]
        if inside:
            first, last = positions[inside[0]].start.line, positions[inside[-1]].end.line
            consecutive = list(body).index(inside[-1]) - list(body).index(inside[0]) + 1
            if consecutive == len(inside) and first <= start and last >= end:
                return inside
        for node in body:
            span = positions[node]
            if span.start.line <= start and end <= span.end.line:
                blocks.extend(_child_bodies(node))
    return None


def _within(span: CodeRange, start: int, end: int) -> bool:
    return start <= span.start.line and span.end.line <= end


def _child_bodies(node: cst.CSTNode) -> list[Sequence[cst.BaseStatement]]:
    found: list[Sequence[cst.BaseStatement]] = []
    for child in node.children:
        if isinstance(child, cst.IndentedBlock):
            found.append(child.body)
        else:
            found.extend(_child_bodies(child))
    return found


class _StatementSwap(cst.CSTTransformer):
    def __init__(self, replacements: dict[int, list[cst.BaseStatement]]) -> None:
        super().__init__()
        self.replacements = replacements

    def on_leave(self, original_node: Any, updated_node: Any) -> Any:
        if id(original_node) not in self.replacements:
            return updated_node
        new = self.replacements[id(original_node)]
        if not new:
            return cst.RemovalSentinel.REMOVE
        return cst.FlattenSentinel(new)


def _swap(module: cst.Module, replacements: dict[int, list[cst.BaseStatement]]) -> cst.Module:
    return module.visit(_StatementSwap(replacements))
