"""The Python interpreters this machine has, and choosing the one a repository asks for."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import Version

from app.environments.recipe import EnvironmentUnavailable, PythonChoice, Source

_VERSIONED_NAME = re.compile(r"^python3\.\d+$")
_PROBE = "import sys; print('%d.%d.%d' % sys.version_info[:3])"


@dataclass(frozen=True)
class Interpreter:
    version: Version
    executable: Path


@dataclass(frozen=True)
class PythonWanted:
    """What a repository asks of the interpreter: any one of `specifiers` will do."""

    text: str
    specifiers: tuple[SpecifierSet, ...]
    source: Source

    def admits(self, version: Version) -> bool:
        return any(spec.contains(version, prereleases=True) for spec in self.specifiers)


def wanted_from_specifier(text: str, source: Source) -> PythonWanted:
    """`>=3.9`, `3.12` or `3.12.1` (a bare version means that minor release, any patch)."""
    cleaned = text.strip()
    if re.fullmatch(r"\d+(\.\d+){0,2}", cleaned):
        minor = ".".join(cleaned.split(".")[:2])
        return PythonWanted(cleaned, (SpecifierSet(f"=={minor}.*"),), source)
    try:
        return PythonWanted(cleaned, (SpecifierSet(cleaned),), source)
    except InvalidSpecifier as error:
        raise EnvironmentUnavailable(
            f"{source}: {cleaned!r} is not a Python version or version specifier"
        ) from error


class Interpreters:
    """Interpreters found on this machine, each asked its own version once."""

    def __init__(self, executables: Iterable[Path]) -> None:
        self._executables = tuple(executables)
        self._found: tuple[Interpreter, ...] | None = None

    @classmethod
    def discover(
        cls,
        *,
        extra: Sequence[Path] = (),
        pyenv_root: Path | None = None,
        system_bin: Path = Path("/usr/bin"),
    ) -> Interpreters:
        """pyenv's versions, the system's `python3.X`, and the configured extra paths."""
        if pyenv_root is None:
            configured = os.environ.get("PYENV_ROOT")
            pyenv_root = Path(configured) if configured else Path.home() / ".pyenv"
        candidates: list[Path] = list(extra)
        for folder in sorted((pyenv_root / "versions").glob("*/bin")):
            candidates.extend(_versioned(folder))
        candidates.extend(_versioned(system_bin))
        return cls(candidates)

    @classmethod
    def of(cls, found: Iterable[Interpreter]) -> Interpreters:
        """Interpreters already known, without asking them."""
        interpreters = cls(())
        interpreters._found = tuple(found)
        return interpreters

    def available(self) -> tuple[Interpreter, ...]:
        if self._found is None:
            seen: dict[Path, Interpreter] = {}
            for executable in self._executables:
                real = executable.resolve()
                if real in seen:
                    continue
                version = _probe(executable)
                if version is not None:
                    seen[real] = Interpreter(version, executable)
            self._found = tuple(seen.values())
        return self._found

    def choose(self, *wanted: PythonWanted) -> PythonChoice | None:
        """The newest interpreter every one of `wanted` admits (the first names the source)."""
        fitting = [
            found
            for found in self.available()
            if all(want.admits(found.version) for want in wanted)
        ]
        if not fitting or not wanted:
            return None
        best = max(fitting, key=lambda found: found.version)
        return PythonChoice(str(best.version), best.executable, wanted[0].source)

    def newest(self, source: Source) -> PythonChoice:
        found = self.available()
        if not found:
            raise EnvironmentUnavailable("no Python 3 interpreter was found on this machine")
        best = max(found, key=lambda interpreter: interpreter.version)
        return PythonChoice(str(best.version), best.executable, source)

    def unavailable(self, *wanted: PythonWanted) -> EnvironmentUnavailable:
        versions = sorted(found.version for found in self.available())
        have = ", ".join(str(version) for version in versions) or "none"
        needs = " and ".join(f"{want.text} ({want.source})" for want in wanted)
        return EnvironmentUnavailable(
            f"the repository needs Python {needs}, and this machine has "
            f"{have}; install one (e.g. with pyenv) or list its path in ENVIRONMENT_INTERPRETERS"
        )


def _versioned(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(
        path for path in folder.iterdir() if _VERSIONED_NAME.match(path.name) and path.is_file()
    )


def _probe(executable: Path) -> Version | None:
    """The interpreter's own version; None when it does not run."""
    try:
        done = subprocess.run(
            [str(executable), "-I", "-S", "-c", _PROBE],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if done.returncode != 0:
        return None
    try:
        return Version(done.stdout.strip())
    except ValueError:
        return None
