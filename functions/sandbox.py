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

from app.errors import ConfigurationError
from app.workspace import TooManyEntries
from functions import reaper
from functions.sandbox_command import RlimitSpec, bubblewrap_argv, interpreter_roots, sandbox_env
from functions.sandbox_outcome import Outcome, run_outcome, with_measured_usage
from functions.sandbox_process import ProcessExit, SandboxedProcess, capture
from functions.sandbox_stage import StagedWorkdir, StageFailed, child_pid, read_pipe
from functions.sandbox_users import UidPool, reap_uid

log = logging.getLogger(__name__)

SandboxMode = Literal["bubblewrap", "degraded"]

_MB = 1024 * 1024
_UIDS = UidPool()
_START_SECONDS = 30.0
# How long the sandbox may take to end once its results are collected.
_RELEASE_SECONDS = 5.0


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


class SandboxUnavailable(ConfigurationError):
    """Untrusted code cannot run here: bubblewrap does not work and no fallback is allowed."""


INSTALL_BUBBLEWRAP = (
    "install bubblewrap (Debian/Ubuntu: `apt-get install bubblewrap`; Fedora: `dnf install "
    "bubblewrap`; in a container, allow user namespaces: see docker-compose.yml)"
)


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
        self.problem = self._bubblewrap_problem()
        self.mode: SandboxMode = "bubblewrap" if self.problem is None else "degraded"
        if self.mode == "bubblewrap":
            return
        if not allow_degraded:
            raise SandboxUnavailable(
                f"{self.problem}. Untrusted code (a repository's tests, builds and functions) "
                f"runs only inside bubblewrap: {INSTALL_BUBBLEWRAP}. For local development "
                "only, SANDBOX_ALLOW_DEGRADED=true allows a fallback that isolates no files."
            )
        if os.geteuid() == 0:
            raise SandboxUnavailable(
                f"{self.problem}, and SANDBOX_ALLOW_DEGRADED=true is refused as root: the "
                "degraded fallback isolates no files, so untrusted code would run as root on "
                f"the host. {INSTALL_BUBBLEWRAP[0].upper()}{INSTALL_BUBBLEWRAP[1:]}, or run "
                "Kintsugi as an unprivileged user for local development."
            )
        # A command runs as this process's uid: it must not read this process's environment
        # (the secrets) through /proc/<ppid>/environ, nor trace it.
        _undumpable()
        log.warning(
            "sandbox degraded: bubblewrap is unusable, untrusted code runs with rlimits and a "
            "cleared environment only (no filesystem, network or disk isolation); for local "
            "development only",
            extra={"sandbox_mode": self.mode, "bwrap": self._bwrap, "reason": self.problem},
        )

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
                ending = await _until_ended(process, limits, started)
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
        stderr = err.text() + ending.note(limits)
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
                await _staged(stage, info.fileno())
            stage.start(collect=collect)
        except BaseException:
            process.kill()
            await process.wait()
            raise
        return process

    def _bubblewrap_problem(self) -> str | None:
        """Why bubblewrap cannot sandbox the interpreter here, or None when it can."""
        if self._bwrap is None:
            return "bubblewrap is not installed (no `bwrap` on PATH)"
        with tempfile.TemporaryDirectory(prefix="kintsugi-probe-") as probe:
            workdir = Path(probe)
            uid = _UIDS.acquire() if self._setpriv else None
            try:
                command = bubblewrap_argv(
                    self._bwrap,
                    [self.python, "-c", "pass"],
                    workdir=workdir,
                    env=sandbox_env(workdir, self.python, None),
                    readonly=self._roots,
                    tmp_bytes=_MB,
                    disk_bytes=_MB,
                    drop_to=(self._setpriv, uid) if self._setpriv and uid is not None else None,
                )
                done = subprocess.run(command, capture_output=True, timeout=30, check=False)
            except (OSError, subprocess.TimeoutExpired) as error:
                return f"bubblewrap ({self._bwrap}) cannot be started: {error}"
            finally:
                if uid is not None:
                    _UIDS.release(uid)
        if done.returncode != 0:
            said = done.stderr[-500:].decode(errors="replace").strip() or "no message"
            return (
                f"bubblewrap ({self._bwrap}) cannot create a sandbox here "
                f"(exit code {done.returncode}: {said})"
            )
        return None


@dataclass(frozen=True)
class _Ending:
    exit: ProcessExit
    report: bytes = b""
    timed_out: bool = False
    disk: bool = False
    lost: str = ""

    def note(self, limits: SandboxLimits) -> str:
        if self.disk:
            return (
                f"\n[sandbox: the run filled its {limits.disk_mb} MB work directory or its "
                f"{limits.tmp_mb} MB /tmp (SANDBOX_DISK_MB) and was stopped]\n"
            )
        return f"\n[sandbox: {self.lost}]\n" if self.lost else ""


async def _until_ended(process: SandboxedProcess, limits: SandboxLimits, started: float) -> _Ending:
    """Wait for the command, its wall clock or a full disk; collect its results if it ended
    by itself."""
    remaining = max(0.0, limits.wall_seconds - (time.monotonic() - started))
    stage = process.stage
    if stage is None:
        try:
            return _Ending(await asyncio.wait_for(process.wait(), remaining))
        except TimeoutError:
            process.kill()
            return _Ending(await process.wait(), timed_out=True)
    reported = asyncio.ensure_future(stage.ended())
    filled = asyncio.ensure_future(stage.until_full())
    try:
        done, _ = await asyncio.wait(
            {reported, filled}, timeout=remaining, return_when=asyncio.FIRST_COMPLETED
        )
    finally:
        filled.cancel()
        if not reported.done():
            reported.cancel()
    if reported not in done:
        process.kill()
        return _Ending(await process.wait(), timed_out=filled not in done, disk=filled in done)
    report, disk, lost = reported.result(), False, ""
    # A full disk means a write was refused: what the run left is not worth copying back.
    if report and not (disk := stage.full()):
        try:
            await asyncio.to_thread(stage.collect)
        except TooManyEntries:
            disk, lost = True, "the run left too many files to copy back"
        except (OSError, StageFailed) as error:
            lost = f"the run's results could not be copied back: {error}"
            log.warning("sandbox results not collected", extra={"reason": str(error)})
    stage.release()
    try:
        ended = await asyncio.wait_for(process.wait(), _RELEASE_SECONDS)
    except TimeoutError:
        process.kill()
        ended = await process.wait()
    return _Ending(ended, report, disk=disk, lost=lost)


async def _staged(stage: StagedWorkdir, info: int) -> None:
    """Wait until the sandbox is set up, then fill its work directory from the host."""
    if not await stage.ready(_START_SECONDS):
        raise StageFailed("the sandbox did not start (bubblewrap or the reaper failed)")
    said = await asyncio.wait_for(read_pipe(info, limit=65_536), _START_SECONDS)
    stage.attach(child_pid(said))
    await asyncio.to_thread(stage.fill)


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


def _undumpable() -> None:
    import ctypes

    if ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0) != 0:  # PR_SET_DUMPABLE, 0
        raise SandboxUnavailable(
            "the degraded sandbox could not hide this process's environment from the "
            f"commands it runs (prctl: {os.strerror(ctypes.get_errno())})"
        )


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
