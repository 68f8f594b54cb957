"""Reproducing a crash as a test: call the crashing function with the frame's literal arguments."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from app.healing.incidents.model import Frame, Incident
from app.healing.incidents.redaction import REDACTED
from app.healing.localise import RepositoryFiles, is_test_file


class _NotLiteral(Exception):
    pass


@dataclass(frozen=True)
class Reproduction:
    """A new test file (its own, never an edit of an existing test) that should raise as the
    incident did until the fault is fixed."""

    path: str
    source: str
    node_id: str
    call: str


def build_reproduction(incident: Incident, files: RepositoryFiles, tag: str) -> Reproduction | None:
    """From the crash frame outwards, the first top-level function whose arguments were all
    captured as literals; None when no frame allows it (e.g. a plain text traceback)."""
    for frame in reversed(incident.exception.frames):
        path = files.resolve(frame.filename)
        if path is None or is_test_file(path) or not frame.vars:
            continue
        call = _call(files.read(path), frame)
        if call is None:
            continue
        return _test_file(files, path, frame.function, call, incident, tag)
    return None


def literal_from_capture(value: Any) -> Any:
    """A Python value from a captured repr (Sentry sends reprs, nested in JSON lists/dicts)."""
    if value == REDACTED:
        return "redacted"  # a stand-in: the secret itself never leaves the incident
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, list):
        return [literal_from_capture(item) for item in value]
    if isinstance(value, dict):
        return {str(key): literal_from_capture(item) for key, item in value.items()}
    if isinstance(value, str):
        try:
            return ast.literal_eval(value)
        except (ValueError, SyntaxError, MemoryError, RecursionError):
            raise _NotLiteral(value) from None
    raise _NotLiteral(repr(value))


def _call(source: str, frame: Frame) -> str | None:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    function = next(
        (
            node
            for node in tree.body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.name == frame.function
        ),
        None,
    )
    if function is None or isinstance(function, ast.AsyncFunctionDef):
        return None
    arguments = function.args
    parts: list[str] = []
    try:
        for param in (*arguments.posonlyargs, *arguments.args):
            if param.arg not in frame.vars:
                return None
            parts.append(repr(literal_from_capture(frame.vars[param.arg])))
        if arguments.vararg is not None:
            parts.append(f"*{literal_from_capture(frame.vars.get(arguments.vararg.arg, []))!r}")
        for param in arguments.kwonlyargs:
            if param.arg not in frame.vars:
                return None
            parts.append(f"{param.arg}={literal_from_capture(frame.vars[param.arg])!r}")
        if arguments.kwarg is not None:
            parts.append(f"**{literal_from_capture(frame.vars.get(arguments.kwarg.arg, {}))!r}")
    except _NotLiteral:
        return None
    return f"{frame.function}({', '.join(parts)})"


def _import_root(files: RepositoryFiles, path: str) -> tuple[str, str]:
    """(directory to put on sys.path, dotted module name) for a repository file."""
    parts = list(PurePosixPath(path).with_suffix("").parts)
    root = len(parts) - 1
    while root > 0 and (files.root / "/".join(parts[:root]) / "__init__.py").exists():
        root -= 1
    return "/".join(parts[:root]), ".".join(parts[root:])


def _test_file(
    files: RepositoryFiles, path: str, function: str, call: str, incident: Incident, tag: str
) -> Reproduction:
    directory = "tests" if (files.root / "tests").is_dir() else ""
    test_path = f"{directory}/test_regression_{tag}.py".lstrip("/")
    root, module = _import_root(files, path)
    depth = test_path.count("/")
    kind = re.sub(r"\W", "_", incident.exception.short_type.lower())
    test_name = f"test_{function}_no_longer_raises_{kind}"
    anchor = f"Path(__file__).resolve().parents[{depth}]"
    location = f"{anchor} / {root!r}" if root else anchor
    source = (
        f'"""Regression test for {incident.exception.short_type} in {path}:{function}."""\n\n'
        "import sys\n"
        "from pathlib import Path\n\n"
        f"sys.path.insert(0, str({location}))\n\n"
        f"from {module} import {function}  # noqa: E402\n\n\n"
        f"def {test_name}():\n"
        f"    {call}\n"
    )
    return Reproduction(test_path, source, f"{test_path}::{test_name}", call)
