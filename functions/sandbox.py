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
from functions import reaper
from functions.sandbox_command import RlimitSpec, bubblewrap_argv, interpreter_roots, sandbox_env
from functions.sandbox_outcome import Outcome, run_outcome, with_measured_usage
from functions.sandbox_process import SandboxedProcess, capture
from functions.sandbox_users import UidPool, chown_tree, reap_uid

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
    """Runs commands isolated from the host: no network, read-only system, only `workdir` writable.

    `mode` is decided once, by starting the interpreter under bubblewrap; where that fails the
    sandbox falls back to rlimits + a cleared environment + a new session ("degraded"), unless
    `allow_degraded` is False.
    """

    def __init__(self, *, allow_degraded: bool = True, python: str | None = None) -> None:
        self.python = python or sys.executable
        self._bwrap = shutil.which("bwrap")
        self._setpriv = shutil.which("setpriv") if os.geteuid() == 0 else None
        self._roots = interpreter_roots(self.python)
        self.mode: SandboxMode = "bubblewrap" if self._bubblewrap_works() else "degraded"
        if self.mode == "degraded":
            if not allow_degraded:
                raise ConfigurationError(
                    "bubblewrap (bwrap) is missing or cannot create a sandbox here, and "
                    "SANDBOX_ALLOW_DEGRADED is false: install the `bubblewrap` package or allow "
                    "the weaker fallback."
                )
            log.warning(
                "sandbox degraded: bubblewrap is unusable, untrusted code runs with rlimits and a "
                "cleared environment only (no filesystem or network isolation)",
                extra={"sandbox_mode": self.mode, "bwrap": self._bwrap},
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
        """Run `argv` to its end (or its limits) and report what happened."""
        limits = limits or SandboxLimits()
        started = time.monotonic()
        report_read, report_write = os.pipe()
        if self.mode == "bubblewrap":
            # bwrap does not hand back its child's rusage; the reaper measures it inside.
            argv = [self.python, "-I", "-S", "-c", _reaper_source(), str(report_write), *argv]
        with _stdin_file(stdin) as stdin_file, os.fdopen(report_read, "rb") as report:
            try:
                process = await self.start(
                    argv,
                    workdir=workdir,
                    limits=limits,
                    env=env,
                    stdin=stdin_file,
                    readonly_binds=readonly_binds,
                    pass_fds=(report_write,),
                )
            finally:
                os.close(report_write)
            assert process.stdout is not None and process.stderr is not None
            outputs = asyncio.gather(
                capture(process.stdout, limits.max_output_bytes),
                capture(process.stderr, limits.max_output_bytes),
            )
            timed_out = False
            try:
                ended = await asyncio.wait_for(process.wait(), limits.wall_seconds)
            except TimeoutError:
                timed_out = True
                process.kill()
                ended = await process.wait()
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
            ended = with_measured_usage(ended, report.read())
        stderr = err.text()
        return SandboxResult(
            exit_code=ended.exit_code,
            stdout=out.text(),
            stderr=stderr,
            wall_seconds=time.monotonic() - started,
            cpu_seconds=ended.cpu_seconds,
            peak_memory_mb=ended.peak_memory_mb,
            outcome=run_outcome(ended, timed_out, limits.cpu_seconds, stderr),
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
    ) -> SandboxedProcess:
        """Start `argv` in the sandbox and hand back the live process (pipes on stdout/stderr).

        Only the wall clock is left to the caller; every other limit is already in force.
        """
        workdir, readonly = _real_paths(workdir, readonly_binds)
        child_env = sandbox_env(workdir, self.python, env)
        owner = workdir.stat()
        uid: int | None = None
        if self.mode == "bubblewrap":
            if self._setpriv is not None:
                uid = _UIDS.acquire()
                await asyncio.to_thread(chown_tree, workdir, uid, uid)
            command = bubblewrap_argv(
                self._bwrap or "bwrap",
                argv,
                workdir=workdir,
                env=child_env,
                readonly=[*self._roots, *readonly],
                tmp_bytes=limits.tmp_mb * _MB,
                drop_to=(self._setpriv, uid) if self._setpriv and uid is not None else None,
            )
            popen_env: dict[str, str] = {"PATH": child_env["PATH"]}
        else:
            command, popen_env = list(argv), child_env

        async def cleanup() -> None:
            if uid is None or self._setpriv is None:
                return
            try:
                await reap_uid(uid, self._setpriv)
                # Hand the tree back so git and the host see the owner they expect.
                await asyncio.to_thread(chown_tree, workdir, owner.st_uid, owner.st_gid)
            finally:
                _UIDS.release(uid)

        try:
            popen = _spawn(command, workdir, popen_env, stdin, limits.rlimits(), pass_fds)
        except BaseException:
            await cleanup()
            raise
        return SandboxedProcess(popen, cleanup)

    def _bubblewrap_works(self) -> bool:
        if self._bwrap is None:
            return False
        with tempfile.TemporaryDirectory(prefix="kintsugi-probe-") as probe:
            workdir = Path(probe)
            uid = _UIDS.acquire() if self._setpriv else None
            try:
                if uid is not None:
                    os.chown(workdir, uid, uid)
                command = bubblewrap_argv(
                    self._bwrap,
                    [self.python, "-c", "pass"],
                    workdir=workdir,
                    env=sandbox_env(workdir, self.python, None),
                    readonly=self._roots,
                    tmp_bytes=_MB,
                    drop_to=(self._setpriv, uid) if self._setpriv and uid is not None else None,
                )
                done = subprocess.run(command, capture_output=True, timeout=30, check=False)
            except (OSError, subprocess.TimeoutExpired) as error:
                log.warning("bubblewrap probe failed: %s", error)
                return False
            finally:
                if uid is not None:
                    _UIDS.release(uid)
        if done.returncode != 0:
            log.warning(
                "bubblewrap probe failed",
                extra={"exit_code": done.returncode, "stderr": done.stderr[-500:].decode()},
            )
        return done.returncode == 0


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
