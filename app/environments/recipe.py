"""What a repository's environment is made of, and where each part of it was found."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from app.errors import ConfigurationError

StepKind = Literal["requirements", "requirements-file", "project", "command"]


@dataclass(frozen=True)
class Source:
    """Where one part of a recipe came from: a repository file and the place in it."""

    file: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.file} {self.detail}".strip()


@dataclass(frozen=True)
class PythonChoice:
    """The interpreter a repository's environment is built on."""

    version: str
    executable: Path
    source: Source


@dataclass(frozen=True)
class InstallStep:
    """One step of building an environment, in the order the recipe lists them.

    `args` by kind: requirements → requirement specifiers; requirements-file → one
    repository-relative path; project → the extras to install the project with (itself installed
    through its build backend, so `src/` layouts import); command → an argv from
    `.github/kintsugi.yml`'s `install`, run with the environment's interpreter first on PATH.
    """

    kind: StepKind
    args: tuple[str, ...]
    source: Source


@dataclass(frozen=True)
class Recipe:
    """How one repository installs and tests, as its own CI would.

    `constraints` are exact pins read from a lock file: every step installs under them.
    `inputs` are the repository-relative files whose content decided the recipe; with the
    interpreter they make the environment's cache key.
    """

    python: PythonChoice
    steps: tuple[InstallStep, ...]
    test_command: str
    test_source: Source
    test_env: Mapping[str, str] = field(default_factory=dict)
    constraints: tuple[str, ...] = ()
    constraints_source: Source | None = None
    inputs: tuple[str, ...] = ()


class EnvironmentUnavailable(ConfigurationError):
    """A repository's environment cannot be found or built; `reason` says why, `output` shows
    the tail of what the failing step printed."""

    def __init__(self, reason: str, *, output: str = "") -> None:
        super().__init__(reason if not output else f"{reason}\n{output}")
        self.reason = reason
        self.output = output
