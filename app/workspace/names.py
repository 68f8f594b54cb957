"""Repository names that may become host paths: GitHub's `owner/repo` shape, nothing else."""

from __future__ import annotations

import re
from pathlib import Path

from app.errors import ConfigurationError

# GitHub's rules: an owner is 1-39 letters, digits and hyphens, not starting with a hyphen;
# a repository name is up to 100 letters, digits, '.', '-' and '_', and never '.' or '..'.
_OWNER = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,38}")
_NAME = re.compile(r"[A-Za-z0-9._-]{1,100}")


def full_name_problem(full_name: str) -> str | None:
    """Why `full_name` is not a GitHub `owner/repo`, or None when it is one."""
    owner, slash, name = full_name.partition("/")
    if not slash or "/" in name:
        return f"{full_name!r} is not of the form owner/repo"
    if not _OWNER.fullmatch(owner):
        return f"{owner!r} is not a GitHub owner (letters, digits and hyphens, at most 39)"
    if not _NAME.fullmatch(name) or name in (".", ".."):
        return f"{name!r} is not a GitHub repository name (letters, digits, '.', '-', '_')"
    return None


def checkout_dir(base: Path, full_name: str) -> Path:
    """The folder under `base` that holds `full_name`'s checkout; a name that is no GitHub
    repository (`../..`, an absolute path) raises instead of naming a folder elsewhere."""
    problem = full_name_problem(full_name)
    if problem is not None:
        raise ConfigurationError(problem)
    owner, _, name = full_name.partition("/")
    return base / owner / name
