"""Where in a repository the project's installed modules come from (`src`, `.`, `lib`...).

The project is installed into the cached environment as it was at build time; runs of later
code put these directories of their own work copy first on the path. They are read from the
installed distribution whose `direct_url.json` names the build's copy of the repository. The
files read were written by the build, so every read is bounded and no link is followed.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path, PurePosixPath

_MAX_READ = 4 * 1024 * 1024
_SEARCH_DEPTH = 3
_SKIPPED_DIRS = {".git", ".venv", "__pycache__", ".tox", ".nox", "node_modules", "build", "dist"}


def installed_source_roots(env_dir: Path, work: Path) -> tuple[str, ...]:
    """Repository-relative directories holding the top-level modules installed from `work`."""
    names: set[str] = set()
    for dist_info in _site_packages(env_dir).glob("*.dist-info"):
        direct_url = _read(dist_info / "direct_url.json")
        if not direct_url:
            continue
        try:
            url = json.loads(direct_url).get("url", "")
        except (ValueError, AttributeError):
            continue
        if url.rstrip("/") == work.resolve().as_uri():
            names |= _top_level_names(_read(dist_info / "RECORD") or "")
    roots: list[str] = []
    for name in sorted(names):
        root = _find(work, name)
        if root is not None and root not in roots:
            roots.append(root)
    for root in _editable_roots(env_dir, work):
        if root not in roots:
            roots.append(root)
    return tuple(roots)


def _editable_roots(env_dir: Path, work: Path) -> list[str]:
    # An editable install (an `install` command's `pip install -e .`) points into the build's
    # copy, which is gone once the environment is published: its `.pth` lines name source
    # directories, its import finders map packages to their directories.
    prefix = str(work.resolve())
    pattern = re.compile(re.escape(prefix) + r"(/[^'\"\s,}]*)?")
    roots: list[str] = []
    site_packages = _site_packages(env_dir)
    for path in sorted([*site_packages.glob("*.pth"), *site_packages.glob("__editable__*.py")]):
        for match in pattern.finditer(_read(path) or ""):
            target = Path(match.group(0))
            directory = target if path.suffix == ".pth" else target.parent
            try:
                relative = directory.relative_to(prefix).as_posix()
            except ValueError:
                continue
            if ".." not in relative.split("/") and relative not in roots:
                roots.append(relative)
    return roots


def _site_packages(env_dir: Path) -> Path:
    found = sorted((env_dir / "lib").glob("python*/site-packages"))
    return found[0] if found else env_dir / "lib" / "site-packages"


def _read(path: Path) -> str | None:
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return None
    with os.fdopen(fd, "rb") as handle:
        return handle.read(_MAX_READ).decode("utf-8", "replace")


def _top_level_names(record: str) -> set[str]:
    names: set[str] = set()
    for line in record.splitlines():
        parts = PurePosixPath(line.partition(",")[0]).parts
        if not parts or parts[0] in ("..", "/") or parts[0].endswith((".dist-info", ".pth")):
            continue
        top = parts[0]
        if len(parts) == 1:
            # A single-file module (`six.py`) or an extension (`_speedups.cpython-311-...so`).
            top = top.partition(".")[0]
        if top and top != "__pycache__" and top.isidentifier():
            names.add(top)
    return names


def _find(work: Path, name: str) -> str | None:
    # Breadth first, so `src/pkg` wins over a `tests/fixtures/pkg` deeper down.
    level = [work]
    for _ in range(_SEARCH_DEPTH):
        below: list[Path] = []
        for directory in level:
            if (directory / name).is_dir() or (directory / f"{name}.py").is_file():
                relative = directory.relative_to(work)
                return "." if relative == Path(".") else relative.as_posix()
            below += sorted(
                child
                for child in directory.iterdir()
                if child.is_dir() and not child.is_symlink() and child.name not in _SKIPPED_DIRS
            )
        level = below
    return None
