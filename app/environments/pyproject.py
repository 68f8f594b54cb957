"""`pyproject.toml`: PEP 621 metadata, PEP 735 dependency groups, Poetry's tables, and the
build backend that decides whether the project itself is installed."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from typing import Any

from app.environments.files import RepositoryFiles
from app.environments.interpreters import PythonWanted, wanted_from_specifier
from app.environments.metadata import Metadata
from app.environments.parts import Part, canonical, requirements_step, testing_names
from app.environments.poetry import alternatives, poetry_requirements
from app.environments.recipe import EnvironmentUnavailable, Source

PYPROJECT = "pyproject.toml"
Table = Mapping[str, Any]


def read_toml(files: RepositoryFiles, relative: str) -> dict[str, Any] | None:
    text = files.read_text(relative)
    if text is None:
        return None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise EnvironmentUnavailable(f"{relative} is not valid TOML: {error}") from error


def table(document: Table, *keys: str) -> Table:
    """A nested table, {} when any level is missing or is not a table."""
    current: object = document
    for key in keys:
        current = current.get(key) if isinstance(current, Mapping) else None
    return current if isinstance(current, Mapping) else {}


def pyproject_metadata(document: Table, files: RepositoryFiles, has_setup: bool) -> Metadata:
    project = table(document, "project")
    poetry = table(document, "tool", "poetry")
    backend = table(document, "build-system").get("build-backend")
    builder: str | None = None
    if table(document, "build-system") or has_setup:
        builder = str(backend or "setuptools (the default backend)")
    if poetry.get("package-mode") is False or table(document, "tool", "uv").get("package") is False:
        builder = None
    metadata = Metadata(PYPROJECT, builder=builder)
    if project:
        metadata.name = str(project.get("name") or "") or None
        metadata.dependencies = [str(line) for line in project.get("dependencies", [])]
        metadata.dependencies_where = "[project].dependencies"
        metadata.extras = _requirement_lists(project.get("optional-dependencies"))
        metadata.extras_where = "[project.optional-dependencies]"
        if not metadata.extras:
            dynamic = table(document, "tool", "setuptools", "dynamic", "optional-dependencies")
            metadata.extras = {str(name): [] for name in dynamic}
            metadata.extras_where = "[tool.setuptools.dynamic.optional-dependencies]"
        if isinstance(project.get("requires-python"), str):
            source = Source(PYPROJECT, "[project].requires-python")
            metadata.python.append(wanted_from_specifier(project["requires-python"], source))
    if poetry:
        where = "[tool.poetry.dependencies]"
        dependencies = table(poetry, "dependencies")
        metadata.name = metadata.name or (str(poetry.get("name") or "") or None)
        if not project:
            metadata.dependencies = poetry_requirements(dependencies, files, where)
            metadata.dependencies_where = where
        extras = table(poetry, "extras")
        if extras and not metadata.extras:
            optional = poetry_requirements(dependencies, files, where, optional=True)
            by_name = {
                canonical(line.split("[")[0].split(" ")[0].split(";")[0]): line for line in optional
            }
            metadata.extras = {
                str(name): [by_name.get(canonical(str(dep)), str(dep)) for dep in deps]
                for name, deps in extras.items()
            }
            metadata.extras_where = "[tool.poetry.extras]"
        if isinstance(dependencies.get("python"), str):
            text = dependencies["python"]
            metadata.python.append(_poetry_python(text, Source(PYPROJECT, f"{where}.python")))
    return metadata


def group_parts(document: Table, files: RepositoryFiles) -> list[Part]:
    """PEP 735 groups and Poetry groups a test run installs: test-named ones, and `dev`, which
    uv and Poetry install by default."""
    parts: list[Part | None] = []
    groups = table(document, "dependency-groups")
    for name in testing_names(groups, with_dev=True):
        lines = _group(groups, name, seen=())
        parts.append(requirements_step(lines, Source(PYPROJECT, f"[dependency-groups].{name}")))
    poetry = table(document, "tool", "poetry")
    poetry_groups = table(poetry, "group")
    for name in testing_names(poetry_groups, with_dev=True):
        where = f"[tool.poetry.group.{name}.dependencies]"
        lines = poetry_requirements(table(poetry_groups, name, "dependencies"), files, where)
        parts.append(requirements_step(lines, Source(PYPROJECT, where)))
    legacy = table(poetry, "dev-dependencies")
    if legacy:
        lines = poetry_requirements(legacy, files, "[tool.poetry.dev-dependencies]")
        parts.append(requirements_step(lines, Source(PYPROJECT, "[tool.poetry.dev-dependencies]")))
    return [part for part in parts if part is not None]


def _group(groups: Table, name: str, seen: tuple[str, ...]) -> list[str]:
    if name in seen:
        chain = " → ".join((*seen, name))
        raise EnvironmentUnavailable(f"{PYPROJECT} [dependency-groups] include a cycle: {chain}")
    entries = groups.get(name)
    if not isinstance(entries, list):
        raise EnvironmentUnavailable(f"{PYPROJECT} [dependency-groups].{name} is not a list")
    lines: list[str] = []
    for entry in entries:
        if isinstance(entry, str):
            lines.append(entry)
        elif isinstance(entry, Mapping) and isinstance(entry.get("include-group"), str):
            lines += _group(groups, entry["include-group"], (*seen, name))
        else:
            raise EnvironmentUnavailable(
                f"{PYPROJECT} [dependency-groups].{name}: {entry!r} is neither a requirement "
                "nor an include-group"
            )
    return lines


def _requirement_lists(value: object) -> dict[str, list[str]]:
    if not isinstance(value, Mapping):
        return {}
    return {str(name): [str(line) for line in lines] for name, lines in value.items()}


def _poetry_python(text: str, source: Source) -> PythonWanted:
    sides = [wanted_from_specifier(side, source) for side in alternatives(text)]
    return PythonWanted(text, tuple(spec for side in sides for spec in side.specifiers), source)
