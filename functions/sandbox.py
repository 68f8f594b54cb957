"""The sandbox every piece of untrusted code runs in: bubblewrap, rlimits and a wall clock."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Literal

from app.workspace import DEFAULT_MAX_ENTRIES
from functions import reaper
from functions.sandbox_command import RlimitSpec, bubblewrap_argv, interpreter_roots, sandbox_env
from functions.sandbox_ending import staged, until_ended
from functions.sandbox_outcome import Outcome, run_outcome, with_measured_usage
from functions.sandbox_probe import (
    INSTALL_BUBBLEWRAP,
    SandboxUnavailable,
    bubblewrap_problem,
    refuse_degraded,
)
from functions.sandbox_process import SandboxedProcess, capture
from functions.sandbox_stage import StagedWorkdir, StageFailed
from functions.sandbox_users import UidPool, reap_uid

__all__ = ["INSTALL_BUBBLEWRAP", "Sandbox", "SandboxLimits", "SandboxResult", "SandboxUnavailable"]

log = logging.getLogger(__name__)

SandboxMode = Literal["bubblewrap", "degraded"]

_MB = 1024 * 1024
_UIDS = UidPool()


@dataclass(frozen=True)
class SandboxLimits:
    """What one sandboxed run may use before it is stopped."""

    cpu_seconds: float = 60
    memory_mb: int = 1024
    max_processes: int = 256
    max_file_mb: int = 64
    max_open_files: int = 256
    wall_seconds: float = 120
    max_output_bytes: int = 1_000_000
    tmp_mb: int = 256
    disk_mb: int = 1024  # the work directory, a tmpfs of this size under bubblewrap
    max_entries: int = DEFAULT_MAX_ENTRIES  # files, folders and links it may leave

    def rlimits(self) -> RlimitSpec:
        return RlimitSpec(
            cpu_seconds=self.cpu_seconds,
            memory_bytes=self.memory_mb * _MB,
            max_processes=self.max_processes,
            max_file_bytes=self.max_file_mb * _MB,
            max_open_files=self.max_open_files,
        )


@dataclass(frozen=True)
class SandboxResult:
    """How one sandboxed run ended; `exit_code` is None only when it never started."""

    exit_code: int | None
    stdout: str
    stderr: str
    wall_seconds: float
    cpu_seconds: float
    peak_memory_mb: float
    outcome: Outcome
    truncated: bool


class Sandbox:
    """Runs commands isolated from the host: no network, read-only system, and a work
    directory that is a size-bounded tmpfs copied from and back to `workdir`.

    `mode` is decided once, by starting the interpreter under bubblewrap (`bwrap`, found on
    PATH unless given). Where that fails the sandbox refuses to exist (`SandboxUnavailable`),
    unless `allow_degraded`: then, for local development only and never as root, commands run
    with rlimits, a cleared environment and a new session ("degraded").
    """

    def __init__(
        self, *, allow_degraded: bool = False, python: str | None = None, bwrap: str | None = None
    ) -> None:
        self.python = python or sys.executable
        self._bwrap = bwrap if bwrap is not None else shutil.which("bwrap")
        self._setpriv = shutil.which("setpriv") if os.geteuid() == 0 else None
        self._roots = interpreter_roots(self.python)
        self.problem = bubblewrap_problem(self._bwrap, self.python, self._roots, self._drop_to)
        self.mode: SandboxMode = "bubblewrap" if self.problem is None else "degraded"
        if self.problem is None:
            return
        refuse_degraded(self.problem, allow_degraded)
        log.warning(
            "sandbox degraded: bubblewrap is unusable, untrusted code runs with rlimits and a "
            "cleared environment only (no filesystem, network or disk isolation); for local "
            "development only",
            extra={"sandbox_mode": self.mode, "bwrap": self._bwrap, "reason": self.problem},
        )

    def _drop_to(self) -> contextlib.AbstractContextManager[tuple[str, int] | None]:
        return _dropped(self._setpriv)

    async def run(
        self,
        argv: Sequence[str],
        *,
        workdir: Path,
        limits: SandboxLimits | None = None,
        env: Mapping[str, str] | None = None,
        stdin: bytes | None = None,
        readonly_binds: Sequence[Path] = (),
    ) -> SandboxResult:
        """Run `argv` to its end (or its limits) and report what happened. What it leaves in
        the work directory is copied back to `workdir` when it ends by itself; a run stopped at
        a limit leaves `workdir` as it was."""
        limits = limits or SandboxLimits()
        started = time.monotonic()
        with _stdin_file(stdin) as stdin_file:
            try:
                process = await self.start(
                    argv,
                    workdir=workdir,
                    limits=limits,
                    env=env,
                    stdin=stdin_file,
                    readonly_binds=readonly_binds,
                    collect=True,
                )
            except StageFailed as failed:
                return _never_started(str(failed), time.monotonic() - started)
            assert process.stdout is not None and process.stderr is not None
            outputs = asyncio.gather(
                capture(process.stdout, limits.max_output_bytes),
                capture(process.stderr, limits.max_output_bytes),
            )
            try:
                remaining = limits.wall_seconds - (time.monotonic() - started)
                ending = await until_ended(process, remaining, limits.max_entries)
            finally:
                # Whatever happens to the caller, nothing of this run outlives it.
                process.kill()
            try:
                out, err = await asyncio.wait_for(outputs, 2.0)
            except TimeoutError:
                # Only a degraded run can leave a grandchild holding the pipes open.
                outputs.cancel()
                raise RuntimeError("sandboxed process left its output pipes open") from None
            finally:
                for stream in (process.stdout, process.stderr):
                    stream.close()
        ended = with_measured_usage(ending.exit, ending.report)
        stderr = err.text() + ending.note(limits.disk_mb, limits.tmp_mb)
        return SandboxResult(
            exit_code=ended.exit_code,
            stdout=out.text(),
            stderr=stderr,
            wall_seconds=time.monotonic() - started,
            cpu_seconds=ended.cpu_seconds,
            peak_memory_mb=ended.peak_memory_mb,
            outcome=run_outcome(ended, ending.timed_out, limits.cpu_seconds, stderr, ending.disk),
            truncated=bool(out.dropped or err.dropped),
        )

    async def start(
        self,
        argv: Sequence[str],
        *,
        workdir: Path,
        limits: SandboxLimits,
        env: Mapping[str, str] | None = None,
        stdin: IO[bytes] | int | None = subprocess.PIPE,
        readonly_binds: Sequence[Path] = (),
        pass_fds: Sequence[int] = (),
        collect: bool = False,
    ) -> SandboxedProcess:
        """Start `argv` in the sandbox and hand back the live process (pipes on stdout/stderr).

        Only the wall clock is left to the caller; every other limit is already in force. With
        `collect`, the sandbox waits once the command has ended until the caller has copied
        the results back (`SandboxedProcess.stage`) and released it."""
        workdir, readonly = _real_paths(workdir, readonly_binds)
        child_env = sandbox_env(workdir, self.python, env)
        if self.mode == "degraded":
            popen = _spawn(argv, workdir, child_env, stdin, limits.rlimits(), pass_fds)
            return SandboxedProcess(popen, _nothing)
        uid = _UIDS.acquire() if self._setpriv is not None else None
        report_read, report_write = os.pipe()
        gate_read, gate_write = os.pipe()
        info_read, info_write = os.pipe()
        stage = StagedWorkdir(
            workdir, limits.disk_mb * _MB, uid, report=report_read, gate=gate_write
        )
        reaper = [self.python, "-I", "-S", "-c", _reaper_source(), str(report_write)]
        command = bubblewrap_argv(
            self._bwrap or "bwrap",
            [*reaper, str(gate_read), *argv],
            workdir=workdir,
            env=child_env,
            readonly=[*self._roots, *readonly],
            tmp_bytes=limits.tmp_mb * _MB,
            disk_bytes=limits.disk_mb * _MB,
            drop_to=(self._setpriv, uid) if self._setpriv and uid is not None else None,
            info_fd=info_write,
        )

        async def cleanup() -> None:
            stage.close()
            if uid is None or self._setpriv is None:
                return
            try:
                await reap_uid(uid, self._setpriv)
            finally:
                _UIDS.release(uid)

        fds = (report_write, gate_read, info_write)
        try:
            popen = _spawn(
                command,
                workdir,
                {"PATH": child_env["PATH"]},
                stdin,
                limits.rlimits(),
                (*fds, *pass_fds),
            )
        except BaseException:
            os.close(info_read)
            await cleanup()
            raise
        finally:
            for fd in fds:
                os.close(fd)
        process = SandboxedProcess(popen, cleanup, stage)
        try:
            with os.fdopen(info_read, "rb") as info:
                await staged(stage, info.fileno())
            stage.start(collect=collect)
        except StageFailed as failed:
            process.kill()
            await process.wait()
            said = _said(process)
            raise StageFailed(f"{failed}{': ' + said if said else ''}") from failed
        except BaseException:
            process.kill()
            await process.wait()
            raise
        return process


def _said(process: SandboxedProcess) -> str:
    """The end of what an ended sandbox wrote to stderr before its command started."""
    if process.stderr is None:
        return ""
    os.set_blocking(process.stderr.fileno(), False)
    try:
        return (process.stderr.read(4096) or b"").decode(errors="replace").strip()[-500:]
    except OSError:
        return ""


@contextlib.contextmanager
def _dropped(setpriv: str | None) -> Iterator[tuple[str, int] | None]:
    """(setpriv, a uid of its own) for one sandbox while the host runs as root, else None."""
    if setpriv is None:
        yield None
        return
    uid = _UIDS.acquire()
    try:
        yield setpriv, uid
    finally:
        _UIDS.release(uid)


def _never_started(reason: str, seconds: float) -> SandboxResult:
    return SandboxResult(
        exit_code=None,
        stdout="",
        stderr=f"[sandbox: {reason}]\n",
        wall_seconds=seconds,
        cpu_seconds=0.0,
        peak_memory_mb=0.0,
        outcome="error",
        truncated=False,
    )


async def _nothing() -> None:
    return None


def _real_paths(workdir: Path, readonly: Sequence[Path]) -> tuple[Path, list[Path]]:
    return Path(os.path.realpath(workdir)), [Path(os.path.realpath(p)) for p in readonly]


def _spawn(
    command: Sequence[str],
    workdir: Path,
    env: Mapping[str, str],
    stdin: IO[bytes] | int | None,
    rlimits: RlimitSpec,
    pass_fds: Sequence[int],
) -> subprocess.Popen[bytes]:
    # Its own session, so that one killpg reaches the whole tree; rlimits set before exec.
    return subprocess.Popen(
        command,
        cwd=workdir,
        env=env,
        stdin=stdin if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=rlimits.apply,
        start_new_session=True,
        close_fds=True,
        pass_fds=tuple(pass_fds),
    )


@contextlib.contextmanager
def _stdin_file(data: bytes | None) -> Iterator[IO[bytes] | None]:
    # A file, not a pipe: the child reads at its own pace and nothing can deadlock on a full pipe.
    if data is None:
        yield None
        return
    with tempfile.TemporaryFile() as handle:
        handle.write(data)
        handle.seek(0)
        yield handle


@functools.cache
def _reaper_source() -> str:
    return Path(reaper.__file__).read_text(encoding="utf-8")
