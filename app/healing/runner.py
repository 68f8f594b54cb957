"""The port through which healing runs a repository's code: always the sandbox in production."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol


@dataclass(frozen=True)
class CommandResult:
    """What one sandboxed command did. `outcome` is ok, error, timeout, memory or killed."""

    exit_code: int
    stdout: str
    stderr: str
    wall_seconds: float
    outcome: str


class CommandRunner(Protocol):
    """Runs untrusted repository code (tests, reproductions) with `workdir` as the only writable
    directory, bounded in time. `env` adds variables to the cleared environment; `readonly`
    are host directories the code may read (Kintsugi's own pytest plugins, say)."""

    async def run(
        self,
        argv: Sequence[str],
        *,
        workdir: Path,
        timeout_seconds: float,
        env: Mapping[str, str] | None = None,
        readonly: Sequence[Path] = (),
    ) -> CommandResult: ...


class SandboxCommandRunner:
    """Adapts `functions.sandbox.Sandbox` (bubblewrap + rlimits) to `CommandRunner`."""

    def __init__(self, sandbox: Any | None = None, *, memory_mb: int = 1024) -> None:
        if sandbox is None:
            from functions.sandbox import Sandbox

            sandbox = Sandbox()
        self._sandbox = sandbox
        self._memory_mb = memory_mb

    async def run(
        self,
        argv: Sequence[str],
        *,
        workdir: Path,
        timeout_seconds: float,
        env: Mapping[str, str] | None = None,
        readonly: Sequence[Path] = (),
    ) -> CommandResult:
        from functions.sandbox import SandboxLimits

        limits = SandboxLimits(
            wall_seconds=timeout_seconds, cpu_seconds=timeout_seconds, memory_mb=self._memory_mb
        )
        result = await self._sandbox.run(
            list(argv), workdir=workdir, limits=limits, env=env, readonly_binds=readonly
        )
        return CommandResult(
            exit_code=-1 if result.exit_code is None else int(result.exit_code),
            stdout=str(result.stdout),
            stderr=str(result.stderr),
            wall_seconds=float(result.wall_seconds),
            outcome=str(result.outcome),
        )
