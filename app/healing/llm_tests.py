"""Regression tests written by the LLM from a bug described in words: the prompt, and the
answer parsed and checked into one new test file under `tests/`."""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

from app.errors import PermanentError
from app.healing.llm_edits.redaction import redact
from app.healing.localise import RepositoryFiles
from app.llm import ChatMessage, LLMResponse
from app.workspace import RepositoryPathRefused

_FENCE = re.compile(r"```[a-zA-Z0-9_+-]*[ \t]*\n(.*?)```", re.DOTALL)
# How much of the repository's code the prompt shows: enough for a small project, bounded.
_MAX_CODE_CHARS = 40_000
_MAX_FILE_CHARS = 8_000

SYSTEM_PROMPT = """\
You write regression tests for Python projects tested with pytest. You receive a bug described
in words and the project's code. Write ONE new test file that reproduces the bug: it must FAIL
on the code as it is and pass once the bug is fixed. Answer with ONE JSON object and nothing else:
{"path": "tests/test_<topic>.py", "content": "<the whole test file>",
 "explanation": "<one sentence: what the test checks>"}
Rules: the path is a new file under tests/; import the code under test the way the existing
tests do; assert the correct behaviour the description asks for; never change existing files."""


class Completer(Protocol):
    """The part of the LLM port this module uses."""

    async def complete(self, prompt: str | list[ChatMessage]) -> LLMResponse: ...


@dataclass(frozen=True)
class WrittenTest:
    """A new test file for the repository, and what the LLM says it checks."""

    path: str
    content: str
    explanation: str = ""


def build_test_prompt(description: str, files: RepositoryFiles) -> list[ChatMessage]:
    """Messages asking for a regression test: the description and the code, secrets redacted."""
    parts = ["## The bug, as described", redact(description.strip()), "## The project's code"]
    budget = _MAX_CODE_CHARS
    for path in files.paths:
        try:
            text = files.read(path)
        except (UnicodeDecodeError, RepositoryPathRefused):
            continue
        if not text.strip():
            continue
        excerpt = text[:_MAX_FILE_CHARS]
        if len(excerpt) > budget:
            parts.append(f"(further files left out: {path} and after)")
            break
        budget -= len(excerpt)
        parts += [f"### `{path}`", "```python", redact(excerpt.rstrip("\n")), "```"]
    parts.append("Answer with the JSON object only.")
    return [
        {"role": "system", "content": SYSTEM_PROMPT},
        {"role": "user", "content": "\n".join(parts)},
    ]


def parse_written_test(text: str, root: Path) -> WrittenTest:
    """The test file in an LLM answer, checked: a new `tests/**/test_*.py` inside the repository
    holding valid Python with at least one test function; anything else is refused."""
    fenced = _FENCE.search(text)
    payload = fenced.group(1) if fenced else text.strip()
    try:
        data: Any = json.loads(payload)
    except json.JSONDecodeError as error:
        raise PermanentError(
            f"the LLM answer is not the JSON test file asked for ({error.msg})"
        ) from error
    if not isinstance(data, dict):
        raise PermanentError("the LLM answer must be a JSON object with path and content")
    path, content = data.get("path"), data.get("content")
    if not isinstance(path, str) or not isinstance(content, str) or not content.strip():
        raise PermanentError("the LLM answer names no test file path or content")
    checked = _checked_path(path.strip(), root)
    try:
        tree = ast.parse(content, filename=checked)
    except SyntaxError as error:
        raise PermanentError(f"the LLM's test file is not valid Python: {error.msg}") from error
    if not any(
        isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith("test")
        for node in ast.walk(tree)
    ):
        raise PermanentError("the LLM's test file defines no test function")
    explanation = data.get("explanation")
    return WrittenTest(
        path=checked,
        content=content if content.endswith("\n") else content + "\n",
        explanation=explanation.strip() if isinstance(explanation, str) else "",
    )


def _checked_path(path: str, root: Path) -> str:
    pure = PurePosixPath(path.replace("\\", "/"))
    if pure.is_absolute() or ".." in pure.parts or not pure.parts or pure.parts[0] != "tests":
        raise PermanentError(f"the LLM's test file `{path}` is not inside tests/")
    if not (pure.name.startswith("test_") and pure.suffix == ".py"):
        raise PermanentError(f"the LLM's test file `{path}` is not named test_*.py")
    target = (root / pure).resolve()
    if root.resolve() not in target.parents:
        raise PermanentError(f"the LLM's test file `{path}` is outside the repository")
    if target.exists():
        raise PermanentError(f"the LLM's test file `{path}` already exists; only new files")
    return pure.as_posix()


async def write_regression_test(llm: Completer, description: str, root: Path) -> WrittenTest:
    """Ask the LLM for a test reproducing `description` in the repository at `root`."""
    answer = await llm.complete(build_test_prompt(description, RepositoryFiles(root)))
    return parse_written_test(answer.text, root)
