"""The fix prompt: the incident, the localised code with line numbers, the conventions."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst
from libcst.metadata import MetadataWrapper, PositionProvider

from app.healing.incidents.model import Incident
from app.healing.llm_edits.redaction import redact
from app.llm import ChatMessage

_MAX_FUNCTION_LINES = 80

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
