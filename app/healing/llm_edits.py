"""LLM edits: the fix prompt, and the structured answer parsed and applied with libcst."""

from __future__ import annotations

import json
import re
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from app.errors import PermanentError
from app.healing.incidents.model import Incident
from app.healing.incidents.redaction import REDACTED, is_secret_name
from app.llm import ChatMessage

_MAX_FUNCTION_LINES = 80
_FENCE = re.compile(r"```[a-zA-Z0-9_+-]*[ \t]*\n(.*?)```", re.DOTALL)

# Shapes of credentials that must never reach the LLM, whatever the name they are stored under.
_SECRET_SHAPES = re.compile(
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----"
    r"|\bgh[pousr]_[A-Za-z0-9]{20,}|\bgithub_pat_\w{20,}|\bsk-[A-Za-z0-9_-]{16,}"
    r"|\bAKIA[0-9A-Z]{16}\b|\bxox[abprs]-[A-Za-z0-9-]{10,}|\bAIza[0-9A-Za-z_-]{35}"
    r"|\beyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]{8,}",
    re.DOTALL,
)
_URL_PASSWORD = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^:/\s@]+):[^@\s/]+@", re.IGNORECASE)
_BEARER = re.compile(r"\b(Bearer|Basic|token)\s+[A-Za-z0-9._~+/=-]{8,}")
_QUOTED_ASSIGNMENT = re.compile(
    r"(?P<name>[A-Za-z_][\w-]*)(?P<sep>['\"]?\s*[:=]\s*)(?P<quote>['\"])(?P<value>[^'\"\n]+)(?P=quote)"
)


def redact(text: str) -> str:
    """`text` with credentials replaced: known token shapes, URL passwords, secret-named strings."""
    text = _SECRET_SHAPES.sub(REDACTED, text)
    text = _URL_PASSWORD.sub(rf"\1:{REDACTED}@", text)
    text = _BEARER.sub(rf"\1 {REDACTED}", text)

    def scrub(match: re.Match[str]) -> str:
        if not is_secret_name(match["name"]):
            return match[0]
        return f"{match['name']}{match['sep']}{match['quote']}{REDACTED}{match['quote']}"

    return _QUOTED_ASSIGNMENT.sub(scrub, text)


SYSTEM_PROMPT = """\
You repair Python code. You receive a failing incident and the suspicious code with line numbers.
Answer with ONE JSON object and nothing else:
{"file": "<path as given>",
 "function": "<name or Class.method whose body you replace>"  OR  "start_line": N, "end_line": M,
 "replacement": "<the new Python code>",
 "explanation": "<one sentence: the root cause>"}
Rules: make the smallest change that fixes the root cause; keep the file's style; with
"function", "replacement" is the new body (or the whole def); with a line range it is the
statements that replace lines N..M inclusive. Never edit tests, never add files."""


@dataclass(frozen=True)
class StructuredEdit:
    """A replacement for one function's body or one range of whole statements in one file."""

    file: str
    replacement: str
    function: str | None = None
    start_line: int | None = None
    end_line: int | None = None
    explanation: str = ""


def build_fix_prompt(
    *,
    path: str,
    source: str,
    lines: Sequence[int],
    incident: Incident | str,
    conventions: str = "",
    context: int = 12,
) -> list[ChatMessage]:
    """Messages asking for a structured edit: the incident, the localised code, the conventions."""
    excerpt = localised_code(source, lines, context=context)
    indent = _indentation(source)
    parts = [
        "## Incident",
        redact(incident if isinstance(incident, str) else describe_incident(incident)),
        f"## Suspicious code in `{path}` (lines marked >> are the most suspicious)",
        "```python",
        redact(excerpt),
        "```",
        "## Conventions",
        f"- indentation: {indent!r}",
    ]
    if conventions.strip():
        parts.append(redact(conventions.strip()))
    parts.append("Answer with the JSON object only.")
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": "\n".join(parts)},
    ]


def describe_incident(incident: Incident, max_frames: int = 8) -> str:
    """The exception chain, crash frames and failing tests, as plain text."""
    described = [f"Summary: {incident.summary}"]
    for info in incident.exceptions:
        described.append(f"{info.type}: {info.value}")
        for frame in info.frames[-max_frames:]:
            where = f"  {frame.filename}:{frame.lineno} in {frame.function}"
            described.append(
                where + (f": {frame.context_line.strip()}" if frame.context_line else "")
            )
    for failing in incident.failing_tests:
        described.append(f"Failing test: {failing.node_id}")
    return "\n".join(described)


def localised_code(source: str, lines: Sequence[int], *, context: int = 12) -> str:
    """Numbered source around each line: its enclosing function when short, else a window."""
    text = source.splitlines()
    spans = sorted(
        _span(source, line, context, len(text)) for line in lines if 1 <= line <= len(text)
    )
    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    width = len(str(len(text)))
    chunks = []
    for start, end in merged:
        chunks.append(
            "\n".join(
                f"{'>>' if number in lines else '  '} {number:>{width}} | {text[number - 1]}"
                for number in range(start, end + 1)
            )
        )
    return "\n   ...\n".join(chunks)


def _span(source: str, line: int, context: int, total: int) -> tuple[int, int]:
    for start, end in _function_ranges(source):
        if start <= line <= end and end - start < _MAX_FUNCTION_LINES:
            return start, end
    return max(1, line - context), min(total, line + context)


def _function_ranges(source: str) -> list[tuple[int, int]]:
    """(first, last) line of every function, innermost last, so the first match is outermost."""
    try:
        wrapper = MetadataWrapper(cst.parse_module(source), unsafe_skip_copy=True)
    except cst.ParserSyntaxError:
        return []
    positions = wrapper.resolve(PositionProvider)
    ranges = [
        (positions[node].start.line, positions[node].end.line)
        for node in positions
        if isinstance(node, cst.FunctionDef)
    ]
    # Innermost first: the smallest function around a line is the most telling excerpt.
    return sorted(ranges, key=lambda span: span[1] - span[0])


def _indentation(source: str) -> str:
    try:
        return cst.parse_module(source).default_indent
    except cst.ParserSyntaxError:
        return "    "


def parse_llm_edit(text: str) -> StructuredEdit:
    """The JSON edit in an LLM answer (bare or in a fenced block); anything else is refused."""
    fenced = _FENCE.search(text)
    payload = fenced.group(1) if fenced else text.strip()
    try:
        data: Any = json.loads(payload)
    except json.JSONDecodeError as error:
        raise PermanentError(
            f"the LLM answer is not the JSON edit asked for ({error.msg} at line {error.lineno})"
        ) from error
    if not isinstance(data, dict):
        raise PermanentError("the LLM answer must be a JSON object with file and replacement")
    file, replacement = data.get("file"), data.get("replacement")
    if not isinstance(file, str) or not file.strip():
        raise PermanentError("the LLM edit names no file")
    if not isinstance(replacement, str):
        raise PermanentError("the LLM edit has no replacement code")
    function = data.get("function")
    start, end = data.get("start_line"), data.get("end_line")
    if isinstance(data.get("line_range"), list) and len(data["line_range"]) == 2:
        start, end = data["line_range"]
    has_range = start is not None or end is not None
    if (function is None) == (not has_range):
        raise PermanentError("the LLM edit must name exactly one of a function or a line range")
    if function is not None and (not isinstance(function, str) or not function.strip()):
        raise PermanentError("the LLM edit's function must be a name")
    if has_range and not (
        isinstance(start, int)
        and isinstance(end, int)
        and _is_line(start)
        and _is_line(end)
        and start <= end
    ):
        raise PermanentError(f"the LLM edit's line range {start}..{end} is not valid")
    explanation = data.get("explanation")
    return StructuredEdit(
        file=file.strip(),
        replacement=replacement,
        function=function.strip() if isinstance(function, str) else None,
        start_line=start if has_range else None,
        end_line=end if has_range else None,
        explanation=explanation if isinstance(explanation, str) else "",
    )


def _is_line(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


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
