"""Building one environment from a recipe with uv, inside the sandbox, behind the egress proxy.

Installing a repository runs its build code, so every step runs sandboxed with the bounds of any
run: the build's scratch directory (a copy of the repository, the new environment, uv's cache
for this build only) is the one writable place, and the network is the allow-list proxy alone.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

from app.environments import relay
from app.environments.egress import EgressProxy
from app.environments.index import PackageIndex
from app.environments.recipe import EnvironmentUnavailable, InstallStep, Recipe
from app.environments.sources import installed_source_roots
from app.workspace import copy_repository

_NOT_COPIED = shutil.ignore_patterns(".git", ".venv", "__pycache__", ".tox", ".nox")
_OUTPUT_TAIL = 4000
_DEFAULT_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


@dataclass(frozen=True)
class BuildLimits:
    """How long and how much a build may take; generous next to a test run, still bounded."""

    seconds: float = 600.0
    memory_mb: int = 4096
    disk_mb: int = 4096


@dataclass(frozen=True)
class BuiltEnvironment:
    """A finished build in its scratch directory, not yet published."""

    root: Path
    source_roots: tuple[str, ...]
    seconds: float
    output: str


class Builder(Protocol):
    """What the cache needs of a builder: the index it installs from, and a build into scratch."""

    @property
    def index_url(self) -> str: ...

    async def build(self, recipe: Recipe, repository: Path, scratch: Path) -> BuiltEnvironment: ...


class EnvironmentBuilder:
    """Builds recipes with uv in `sandbox` (a `functions.sandbox.Sandbox`)."""

    def __init__(
        self,
        sandbox: Any,
        index: PackageIndex,
        *,
        limits: BuildLimits | None = None,
        uv: Path | None = None,
        ca_bundle: Path | None = None,
    ) -> None:
        self._sandbox = sandbox
        self._index = index
        self._limits = limits or BuildLimits()
        self._uv = uv or _uv_binary()
        self._ca_bundle = ca_bundle if ca_bundle is not None else _ca_bundle()

    @property
    def index_url(self) -> str:
        return self._index.url

    async def build(self, recipe: Recipe, repository: Path, scratch: Path) -> BuiltEnvironment:
        """Build into `scratch/entry/env`; `scratch` must be empty and is the sandbox's workdir."""
        from functions.sandbox import SandboxLimits
        from functions.sandbox_command import interpreter_roots

        started = time.monotonic()
        work = scratch / "repo"
        copy_repository(repository, work, ignore=_NOT_COPIED)
        env_dir = scratch / "entry" / "env"
        env_dir.parent.mkdir()
        for name in ("uv-cache", "tmp"):
            (scratch / name).mkdir()
        plan = self._plan(recipe, scratch, work, env_dir)
        (scratch / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
        limits = SandboxLimits(
            cpu_seconds=self._limits.seconds,
            wall_seconds=self._limits.seconds,
            memory_mb=self._limits.memory_mb,
            max_processes=1024,
            max_file_mb=1024,
            max_open_files=4096,
            disk_mb=self._limits.disk_mb,
        )
        binds = [self._uv, *interpreter_roots(str(recipe.python.executable))]
        if self._ca_bundle is not None:
            # A copy, not a bind: the sandbox sees only the few entries of /etc it needs.
            shutil.copyfile(self._ca_bundle, scratch / "ca-certificates.crt")
        with tempfile.TemporaryDirectory(prefix="kintsugi-egress-") as private:
            # Traversable, not listable: a dropped sandbox uid must reach the socket inside.
            os.chmod(private, 0o711)
            socket_path = Path(private) / "proxy.sock"
            plain = self._index.allowed() if self._index.scheme == "http" else frozenset()
            tls = self._index.allowed() if self._index.scheme == "https" else frozenset()
            async with EgressProxy(socket_path, tls, plain):
                os.chmod(socket_path, 0o666)
                relay_argv = [self._sandbox.python, "-I", "-S", "-c", _relay_source()]
                result = await self._sandbox.run(
                    [*relay_argv, str(socket_path), str(scratch / "plan.json")],
                    workdir=scratch,
                    limits=limits,
                    env=self._variables(scratch),
                    readonly_binds=[*binds, Path(private)],
                )
        output = (result.stdout + result.stderr)[-_OUTPUT_TAIL:]
        if result.outcome != "ok" or result.exit_code != 0:
            raise EnvironmentUnavailable(_failure(result, self._limits), output=output)
        return BuiltEnvironment(
            root=env_dir,
            source_roots=installed_source_roots(env_dir, work),
            seconds=time.monotonic() - started,
            output=output,
        )

    def _variables(self, scratch: Path) -> dict[str, str]:
        variables = {
            "UV_CACHE_DIR": str(scratch / "uv-cache"),
            "UV_PYTHON_DOWNLOADS": "never",
            "UV_NO_PROGRESS": "1",
            "TMPDIR": str(scratch / "tmp"),
            # pip, for `install` commands that call it, reads the same index.
            "PIP_INDEX_URL": self._index.url,
            "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        }
        if self._ca_bundle is not None:
            variables["SSL_CERT_FILE"] = str(scratch / "ca-certificates.crt")
            variables["PIP_CERT"] = str(scratch / "ca-certificates.crt")
        return variables

    def _plan(self, recipe: Recipe, scratch: Path, work: Path, env_dir: Path) -> dict[str, Any]:
        uv = str(self._uv)
        python = str(env_dir / "bin" / "python")
        venv = [uv, "venv", "--no-config", "--relocatable", "--python"]
        venv += [str(recipe.python.executable)]
        if any(step.kind == "command" for step in recipe.steps):
            venv.append("--seed")  # `install` commands may call pip
        steps: list[dict[str, Any]] = [
            {"name": "create the virtual environment", "argv": [*venv, str(env_dir)], "cwd": "."}
        ]
        install = [uv, "pip", "install", "--no-config", "--python", python]
        if _version(recipe.python.version) >= (3, 7):
            # uv compiles with py_compile.PycInvalidationMode, which Python 3.6 lacks: there the
            # first runs compile what they import instead.
            install.append("--compile-bytecode")
        install += ["--default-index", self._index.url]
        if recipe.constraints:
            constraints = scratch / "constraints.txt"
            constraints.write_text("\n".join(recipe.constraints) + "\n", encoding="utf-8")
            install += ["-c", str(constraints)]
        for step in recipe.steps:
            argv, cwd, env = self._step(step, install, work, env_dir)
            steps.append({"name": f"{step.kind} from {step.source}", "argv": argv, "cwd": cwd})
            steps[-1]["env"] = env
        return {"steps": steps}

    def _step(
        self, step: InstallStep, install: Sequence[str], work: Path, env_dir: Path
    ) -> tuple[list[str], str, dict[str, str]]:
        if step.kind == "requirements":
            return [*install, *step.args], str(work), {}
        if step.kind == "requirements-file":
            return [*install, "-r", str(work / _inside(step.args[0]))], str(work), {}
        if step.kind == "project":
            extras = f"[{','.join(step.args)}]" if step.args else ""
            return [*install, f"{work}{extras}"], str(work), {}
        path = f"{env_dir / 'bin'}:/usr/local/bin:/usr/bin:/bin"
        return list(step.args), str(work), {"PATH": path, "VIRTUAL_ENV": str(env_dir)}


def _inside(relative: str) -> str:
    path = PurePosixPath(relative)
    if path.is_absolute() or ".." in path.parts:
        raise EnvironmentUnavailable(f"requirements file {relative!r} is outside the repository")
    return str(path)


def _failure(result: Any, limits: BuildLimits) -> str:
    if result.outcome == "timeout":
        return f"the environment build took longer than its {limits.seconds:.0f} s limit"
    if result.outcome == "memory":
        return f"the environment build ran out of its {limits.memory_mb} MB of memory"
    if result.outcome == "disk":
        return (
            f"the environment build filled its {limits.disk_mb} MB of disk "
            "(ENVIRONMENT_BUILD_DISK_MB)"
        )
    for line in reversed(str(result.stderr).splitlines()):
        if line.startswith("::failed "):
            return f"the environment build failed: {line.removeprefix('::failed ')}"
    return f"the environment build ended with exit code {result.exit_code} ({result.outcome})"


def _uv_binary() -> Path:
    import uv

    return Path(os.path.realpath(uv.find_uv_bin()))


def _ca_bundle() -> Path | None:
    # The machine's trust store, so a TLS-inspecting egress still verifies inside the sandbox.
    configured = os.environ.get("SSL_CERT_FILE")
    for candidate in (Path(configured) if configured else None, _DEFAULT_CA_BUNDLE):
        if candidate is not None and candidate.is_file():
            return Path(os.path.realpath(candidate))
    return None


@functools.cache
def _relay_source() -> str:
    return Path(relay.__file__).read_text(encoding="utf-8")


def _version(text: str) -> tuple[int, ...]:
    """`3.12.1` as (3, 12, 1); the leading numeric parts only."""
    parts: list[int] = []
    for part in text.split("."):
        if not part.isdigit():
            break
        parts.append(int(part))
    return tuple(parts)
