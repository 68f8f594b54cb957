"""A built environment as test runs use it: its interpreter, what to bind and what to set."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from app.environments.recipe import Recipe

SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"


@dataclass(frozen=True)
class Environment:
    """One cached environment, leased for the runs that use it.

    `root` is the virtual environment, bound read-only into every test run. `source_roots` are
    the repository-relative directories the project's own modules were installed from (`src`,
    or `.` for a flat layout): runs put the work copy's versions of them first on the path, so a
    candidate's edits are what the tests import, never the copy installed at build time.
    `build_seconds` is how long the build took when it happened; `ready_seconds` how long this
    call took to hand the environment over (the whole build, or the reuse).
    """

    key: str
    root: Path
    recipe: Recipe
    source_roots: tuple[str, ...]
    interpreter_roots: tuple[Path, ...]
    built: bool
    build_seconds: float
    ready_seconds: float

    @property
    def python(self) -> Path:
        return self.root / "bin" / "python"

    def readonly_paths(self) -> tuple[Path, ...]:
        """What a test run must see, read-only: the environment and its base interpreter."""
        return (self.root, *self.interpreter_roots)

    def variables(self, workdir: Path) -> dict[str, str]:
        """The variables a test run in `workdir` gets: the env's bin first, the sources first."""
        paths = [str(workdir / root) if root != "." else str(workdir) for root in self.source_roots]
        declared = dict(self.recipe.test_env)
        if declared.get("PYTHONPATH"):
            paths = [
                str(workdir / part) for part in declared.pop("PYTHONPATH").split(os.pathsep) if part
            ] + paths
        variables = {
            "PATH": f"{self.root / 'bin'}:{SYSTEM_PATH}",
            "VIRTUAL_ENV": str(self.root),
        }
        if paths:
            variables["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
        variables.update(declared)
        return variables
