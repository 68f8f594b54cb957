"""What the LLM is shown beside the code: the incident's details, conventions, past merged fixes."""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from app.healing.incidents.model import Incident
from app.healing.incidents.redaction import redact_vars
from app.healing.llm_edits import describe_incident, localised_code, redact
from app.healing.localise import Location, RepositoryFiles, is_test_file
from app.workspace import RepositoryPathRefused, is_repository_file, read_text

log = logging.getLogger(__name__)

_MAX_VARS = 12
_MAX_VALUE = 160
_MAX_FAILING_TESTS = 2
_MAX_EXAMPLES = 2
_MAX_EXAMPLE_DIFF = 1500
_MIN_EXAMPLE_SCORE = 0.3


class PastFix(Protocol):
    """A remembered fix (`app.data.fix_memory.RememberedFix` has this shape)."""

    @property
    def exception_type(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def diff(self) -> str: ...
    @property
    def outcome(self) -> str: ...


class SimilarPastFix(Protocol):
    @property
    def fix(self) -> PastFix: ...
    @property
    def score(self) -> float: ...


class FixExamples(Protocol):
    """Recalls fixes of similar incidents (`app.data.fix_memory.FixMemory` is one)."""

    async def similar(self, incident_text: str, limit: int = ...) -> Sequence[SimilarPastFix]: ...


def incident_context(incident: Incident, files: RepositoryFiles, location: Location) -> str:
    """The incident as text, with the site's captured variables and the failing tests' code.

    Variables are redacted by name here; the prompt redacts the whole text again by shape."""
    parts = [describe_incident(incident)]
    frame = location.frame
    if frame is not None and frame.vars:
        shown = list(redact_vars(frame.vars).items())[:_MAX_VARS]
        parts.append(f"Local variables in {frame.function} when it failed:")
        parts.extend(f"  {name} = {_short(value)}" for name, value in shown)
    for failing in incident.failing_tests[:_MAX_FAILING_TESTS]:
        excerpt = _test_excerpt(failing.exception.frames if failing.exception else (), files)
        if excerpt:
            parts.append(f"Code of the failing test {failing.node_id} (never to be edited):")
            parts.append(excerpt)
    return "\n".join(parts)


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= _MAX_VALUE else text[: _MAX_VALUE - 3] + "..."


def _test_excerpt(frames: Sequence[Any], files: RepositoryFiles) -> str:
    for frame in frames:
        path = files.resolve(frame.filename)
        if path is None or frame.lineno is None or not is_test_file(path):
            continue
        try:
            return localised_code(files.read(path), [frame.lineno], context=8)
        except (OSError, UnicodeDecodeError, RepositoryPathRefused):
            return ""
    return ""


def repository_conventions(root: Path) -> str:
    """Style settings the repository declares (pyproject, ruff.toml), as prompt lines."""
    lines: list[str] = []
    pyproject = _toml(root, "pyproject.toml")
    tools = pyproject.get("tool", {}) if isinstance(pyproject.get("tool"), dict) else {}
    project = pyproject.get("project", {}) if isinstance(pyproject.get("project"), dict) else {}
    ruff = tools.get("ruff") if isinstance(tools.get("ruff"), dict) else None
    for name in ("ruff.toml", ".ruff.toml"):
        if ruff is None and is_repository_file(root, name):
            ruff = _toml(root, name)
    requires = project.get("requires-python")
    if isinstance(requires, str):
        lines.append(f"- Python {requires}")
    if ruff:
        length = ruff.get("line-length")
        if isinstance(length, int):
            lines.append(f"- line length {length} (ruff)")
        target = ruff.get("target-version")
        if isinstance(target, str):
            lines.append(f"- target version {target}")
        quotes = (ruff.get("format") or {}).get("quote-style")
        if isinstance(quotes, str):
            lines.append(f"- {quotes} quotes")
    black = tools.get("black")
    if isinstance(black, dict) and isinstance(black.get("line-length"), int):
        lines.append(f"- line length {black['line-length']} (black)")
    return "\n".join(lines)


def _toml(root: Path, path: str) -> dict[str, Any]:
    try:
        return tomllib.loads(read_text(root, path))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RepositoryPathRefused):
        return {}


async def merged_examples(memory: FixExamples, incident: Incident, files: RepositoryFiles) -> str:
    """Diffs maintainers merged for the most similar past incidents, as prompt text."""
    try:
        similar = await memory.similar(memory_text(incident, files), 6)
    except Exception as error:  # the fix memory is a help, never a reason to fail a case
        log.warning("fix memory unavailable", extra={"error": str(error)[:300]})
        return ""
    merged = [
        hit for hit in similar if hit.fix.outcome == "merged" and hit.score >= _MIN_EXAMPLE_SCORE
    ][:_MAX_EXAMPLES]
    if not merged:
        return ""
    parts = ["## Fixes maintainers merged for similar incidents (examples, not this bug)"]
    for hit in merged:
        parts.append(f"{hit.fix.exception_type}: {hit.fix.message}")
        parts.append("```diff\n" + hit.fix.diff[:_MAX_EXAMPLE_DIFF].rstrip("\n") + "\n```")
    return "\n".join(parts)


def memory_text(incident: Incident, files: RepositoryFiles) -> str:
    """The incident as the fix memory embeds it: `Type: message`, then `dir/file.py:function`,
    then the line that raised (as `app.data.fix_memory.describe_incident` writes a past one)."""
    exception = incident.exception
    lines = [f"{exception.type}: {exception.value}"]
    for frame in exception.frames:
        path = files.resolve(frame.filename) or frame.filename.replace("\\", "/")
        lines.append("/".join(path.split("/")[-2:]) + f":{frame.function}")
    crash = exception.crash_frame
    if crash is not None and crash.context_line and crash.context_line.strip():
        lines.append(redact(crash.context_line.strip()))
    return "\n".join(lines)
