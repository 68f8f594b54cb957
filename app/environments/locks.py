"""Lock files (`uv.lock`, `poetry.lock`, `pdm.lock`): their exact pins, which every install step
of the recipe is constrained to."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.environments.files import RepositoryFiles
from app.environments.parts import canonical
from app.environments.pyproject import read_toml
from app.environments.recipe import Source

LOCK_FILES = ("uv.lock", "poetry.lock", "pdm.lock")


@dataclass(frozen=True)
class Pins:
    constraints: tuple[str, ...]
    source: Source


def lock_pins(files: RepositoryFiles, project: str | None) -> Pins | None:
    """The first lock file present, as `name==version` lines (the project itself left out).

    Packages from git, a URL or a path are not pinned: a version constraint cannot name them.
    A package locked at several versions (one per Python or platform) keeps each pin under its
    resolution markers when the lock records them, and is left unpinned otherwise."""
    for name in LOCK_FILES:
        document = read_toml(files, name)
        if document is None:
            continue
        packages = document.get("package", [])
        own = canonical(project) if project else None
        versions: dict[str, list[tuple[str, str]]] = defaultdict(list)
        for package in packages if isinstance(packages, list) else []:
            if not isinstance(package, Mapping) or not _from_an_index(name, package):
                continue
            key = canonical(str(package.get("name", "")))
            if key and key != own and package.get("version"):
                versions[key].append((str(package["version"]), _markers(package)))
        constraints = []
        for key, pinned in sorted(versions.items()):
            if len(pinned) == 1:
                constraints.append(f"{key}=={pinned[0][0]}")
            elif all(markers for _, markers in pinned):
                constraints += [f"{key}=={version}; {markers}" for version, markers in pinned]
        return Pins(tuple(constraints), Source(name, f"{len(constraints)} pinned packages"))
    return None


def _from_an_index(lock: str, package: Mapping[str, Any]) -> bool:
    source = package.get("source")
    if lock == "uv.lock":
        return isinstance(source, Mapping) and "registry" in source
    if lock == "poetry.lock":
        return not isinstance(source, Mapping) or source.get("type") == "legacy"
    return not any(key in package for key in ("path", "git", "url", "editable"))


def _markers(package: Mapping[str, Any]) -> str:
    markers = package.get("resolution-markers")
    if isinstance(markers, list) and markers:
        return " or ".join(f"({marker})" for marker in markers)
    return ""
