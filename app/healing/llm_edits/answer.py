"""The LLM's answer: one JSON edit, parsed strictly into a `StructuredEdit`."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from app.errors import PermanentError

_FENCE = re.compile(r"```[a-zA-Z0-9_+-]*[ \t]*\n(.*?)```", re.DOTALL)


@dataclass(frozen=True)
class StructuredEdit:
    """A replacement for one function's body or one range of whole statements in one file."""

    file: str
    replacement: str
    function: str | None = None
    start_line: int | None = None
    end_line: int | None = None
    explanation: str = ""


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
