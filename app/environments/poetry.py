"""Poetry's `[tool.poetry]` tables: dependencies and groups, with its `^`/`~` version syntax
turned into PEP 440 specifiers an installer understands."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from app.environments.files import RepositoryFiles, contained
from app.environments.recipe import EnvironmentUnavailable

_VERSION = re.compile(r"^\d+(\.\d+)*$")


def pep440(constraint: str) -> str | None:
    """`^1.2` → `>=1.2,<2.0`; `~1.2.3` → `>=1.2.3,<1.3.0`; `*` → ``; None for `a || b`, which
    a single PEP 440 specifier cannot say."""
    text = constraint.strip()
    if "||" in text or "|" in text:
        return None
    parts = [part for part in re.split(r"\s*,\s*|\s+(?=[<>=!~^])", text) if part]
    converted = [_one(part) for part in parts]
    return ",".join(piece for piece in converted if piece)


def alternatives(constraint: str) -> list[str]:
    """Each side of `a || b`, converted: for Python constraints, where any side will do."""
    return [pep440(side) or "" for side in re.split(r"\s*\|\|?\s*", constraint.strip())]


def _one(part: str) -> str:
    part = part.replace(" ", "")
    if part in ("*", ""):
        return ""
    if part.startswith("^"):
        return _caret(part[1:])
    if part.startswith("~") and not part.startswith("~="):
        return _tilde(part[1:])
    if _VERSION.match(part):
        return f"=={part}"
    if re.match(r"^\d+(\.\d+)*\.\*$", part):
        return f"=={part}"
    return part


def _caret(version: str) -> str:
    numbers = [int(piece) for piece in version.split(".")]
    first_nonzero = next((i for i, n in enumerate(numbers) if n != 0), len(numbers) - 1)
    upper = [*numbers[:first_nonzero], numbers[first_nonzero] + 1]
    upper += [0] * (max(len(numbers), 2) - len(upper))
    return f">={version},<{'.'.join(map(str, upper))}"


def _tilde(version: str) -> str:
    numbers = [int(piece) for piece in version.split(".")]
    keep = 1 if len(numbers) == 1 else 2
    upper = [*numbers[: keep - 1], numbers[keep - 1] + 1]
    upper += [0] * (max(len(numbers), 2) - len(upper))
    return f">={version},<{'.'.join(map(str, upper))}"


def poetry_requirements(
    table: Mapping[str, Any], files: RepositoryFiles, where: str, *, optional: bool = False
) -> list[str]:
    """PEP 508 lines for a dependency table; `python` is the interpreter, not a package, and
    optional entries (extras) are left out unless `optional`."""
    lines: list[str] = []
    for name, spec in table.items():
        if name.lower() == "python":
            continue
        for entry in spec if isinstance(spec, list) else [spec]:
            line = _requirement(name, entry, files, where, optional)
            if line:
                lines.append(line)
    return lines


def _requirement(
    name: str, spec: object, files: RepositoryFiles, where: str, optional: bool
) -> str | None:
    if isinstance(spec, str):
        return f"{name}{pep440(spec) or ''}"
    if not isinstance(spec, Mapping):
        raise EnvironmentUnavailable(f"{where}.{name}: expected a version or a table")
    if spec.get("optional") and not optional:
        return None
    extras = f"[{','.join(spec['extras'])}]" if spec.get("extras") else ""
    markers = _markers(spec)
    if "git" in spec:
        ref = spec.get("rev") or spec.get("tag") or spec.get("branch")
        return f"{name}{extras} @ git+{spec['git']}{'@' + ref if ref else ''}{markers}"
    if "url" in spec:
        return f"{name}{extras} @ {spec['url']}{markers}"
    if "path" in spec:
        contained(files.root, str(spec["path"]))
        return f"./{str(spec['path']).removeprefix('./')}{extras}"
    return f"{name}{extras}{pep440(str(spec.get('version', '*'))) or ''}{markers}"


def _markers(spec: Mapping[str, Any]) -> str:
    clauses = [f"({spec['markers']})"] if spec.get("markers") else []
    python = spec.get("python")
    if python:
        converted = pep440(str(python)) or ""
        clauses += [f"python_version {op}" for op in _marker_clauses(converted)]
    return f"; {' and '.join(clauses)}" if clauses else ""


def _marker_clauses(specifiers: str) -> list[str]:
    found = []
    for piece in filter(None, specifiers.split(",")):
        match = re.match(r"^(==|!=|<=|>=|<|>|~=)(.+)$", piece)
        if match:
            found.append(f"{match.group(1)} '{match.group(2)}'")
    return found
