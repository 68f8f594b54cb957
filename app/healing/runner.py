"""The port through which healing runs a repository's code: always the sandbox in production."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol


@dataclass(frozen=True)
class CommandResult:
    """What one sandboxed command did. `outcome` is ok, error, timeout, memory, disk (its work
    directory filled up) or killed."""

    exit_code: int
    stdout: str
    stderr: str
    wall_seconds: float
    outcome: str


class CommandRunner(Protocol):
    """Runs untrusted repository code (tests, reproductions) with `workdir` as the only writable
    directory, bounded in time. `readonly` are further host paths the run may read (a
    repository's environment), `env` variables it gets on top of the sandbox's own."""

    async def run(
        self,
        argv: Sequence[str],
        *,
        workdir: Path,
        timeout_seconds: float,
        readonly: Sequence[Path] = (),
        env: Mapping[str, str] | None = None,
    ) -> CommandResult: ...


class SandboxCommandRunner:
    """Adapts `functions.sandbox.Sandbox` (bubblewrap + rlimits) to `CommandRunner`.

    Without a `sandbox`, one is made on the first run, and refuses (`SandboxUnavailable`) where
    bubblewrap does not work unless `allow_degraded`. `disk_mb` bounds what a run writes in its
    work directory."""

    def __init__(
        self,
        sandbox: Any | None = None,
        *,
        memory_mb: int = 1024,
        disk_mb: int = 1024,
        allow_degraded: bool = False,
    ) -> None:
        self._sandbox = sandbox
        self._allow_degraded = allow_degraded
        self._memory_mb = memory_mb
        self._disk_mb = disk_mb

    async def run(
        self,
        argv: Sequence[str],
        *,
        workdir: Path,
        timeout_seconds: float,
        readonly: Sequence[Path] = (),
        env: Mapping[str, str] | None = None,
    ) -> CommandResult:
        result = await self._box().run(
            list(argv),
            workdir=workdir,
            limits=self._limits(timeout_seconds),
            env=env,
            readonly_binds=list(readonly),
        )
        return CommandResult(
            exit_code=-1 if result.exit_code is None else int(result.exit_code),
            stdout=str(result.stdout),
            stderr=str(result.stderr),
            wall_seconds=float(result.wall_seconds),
            outcome=str(result.outcome),
        )

    async def start(
        self,
        argv: Sequence[str],
        *,
        workdir: Path,
        timeout_seconds: float,
        readonly: Sequence[Path] = (),
        env: Mapping[str, str] | None = None,
    ) -> Any:
        """Start a long-lived process (a validation worker) in the same sandbox as `run`, with
        pipes on its standard streams; the caller keeps its wall clock, kills it and waits."""
        return await self._box().start(
            list(argv),
            workdir=workdir,
            limits=self._limits(timeout_seconds),
            env=env,
            readonly_binds=list(readonly),
        )

    def _box(self) -> Any:
        """The sandbox, probed on first use: `SandboxUnavailable` says why there is none."""
        if self._sandbox is None:
            from functions.sandbox import Sandbox

            self._sandbox = Sandbox(allow_degraded=self._allow_degraded)
        return self._sandbox

    def _limits(self, timeout_seconds: float) -> Any:
        from functions.sandbox import SandboxLimits

        return SandboxLimits(
            wall_seconds=timeout_seconds,
            cpu_seconds=timeout_seconds,
            memory_mb=self._memory_mb,
            disk_mb=self._disk_mb,
        )
