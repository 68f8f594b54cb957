"""A started sandboxed process tree: capped output capture, waiting with rusage, and killing."""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import signal
import subprocess
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from functions.sandbox_stage import StagedWorkdir

_READ_CHUNK = 65_536


@dataclass(frozen=True)
class ProcessExit:
    """How a process ended: its exit code (death by signal N reported as 128+N) and usage."""

    exit_code: int
    signal: int | None
    cpu_seconds: float
    peak_memory_mb: float


@dataclass
class CapturedOutput:
    """At most `cap` bytes of one stream, and how many bytes were thrown away after that."""

    data: bytearray
    dropped: int = 0

    def text(self) -> str:
        text = self.data.decode("utf-8", errors="replace")
        if self.dropped:
            text += f"\n[... output truncated: {self.dropped} more bytes ...]\n"
        return text


class SandboxedProcess:
    """One sandboxed process tree, led by the process `popen` started in its own session."""

    def __init__(
        self,
        popen: subprocess.Popen[bytes],
        cleanup: Callable[[], Awaitable[None]],
        stage: StagedWorkdir | None = None,
    ) -> None:
        self.stage = stage  # the work directory's tmpfs under bubblewrap; None when degraded
        self._popen = popen
        self._cleanup = cleanup
        self._exit: ProcessExit | None = None
        self._reaped = False
        self._waiting: asyncio.Task[ProcessExit] | None = None

    @property
    def pid(self) -> int:
        return self._popen.pid

    @property
    def stdin(self) -> IO[bytes] | None:
        return self._popen.stdin

    @property
    def stdout(self) -> IO[bytes] | None:
        return self._popen.stdout

    @property
    def stderr(self) -> IO[bytes] | None:
        return self._popen.stderr

    @property
    def exited(self) -> ProcessExit | None:
        return self._exit

    def kill(self) -> None:
        """Kill the whole process group; inside bubblewrap the pid namespace goes with it."""
        if self._reaped:
            return  # the group id may belong to someone else by now
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._popen.pid, signal.SIGKILL)

    async def wait(self) -> ProcessExit:
        """Wait for the exit without blocking the loop; safe to call from several tasks."""
        if self._waiting is None:
            self._waiting = asyncio.ensure_future(self._wait_once())
        return await asyncio.shield(self._waiting)

    async def _wait_once(self) -> ProcessExit:
        loop = asyncio.get_running_loop()
        pidfd = os.pidfd_open(self._popen.pid)
        try:
            exited: asyncio.Future[None] = loop.create_future()
            loop.add_reader(pidfd, _settle, exited)
            try:
                await exited
            finally:
                loop.remove_reader(pidfd)
        finally:
            os.close(pidfd)
        status, usage = _reap(self._popen.pid)
        self._reaped = True
        self._popen.returncode = os.waitstatus_to_exitcode(status)
        ended = _process_exit(status, usage)
        await self._cleanup()
        self._exit = ended
        return ended


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _reap(pid: int) -> tuple[int, resource.struct_rusage]:
    # wait4, not waitpid: its rusage covers the whole reaped tree (peak RSS, CPU time). The
    # pidfd said the process has exited, so this does not block.
    _, status, usage = os.wait4(pid, 0)
    return status, usage


def _process_exit(status: int, usage: resource.struct_rusage) -> ProcessExit:
    code = os.waitstatus_to_exitcode(status)
    if code < 0:
        code = 128 - code
    # bubblewrap reports a child killed by signal N as exit code 128+N, like a shell.
    died_of = code - 128 if 128 < code <= 128 + 64 else None
    return ProcessExit(
        exit_code=code,
        signal=died_of,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        peak_memory_mb=usage.ru_maxrss / 1024,
    )


async def capture(
    stream: IO[bytes], cap: int, into: CapturedOutput | None = None
) -> CapturedOutput:
    """Read a pipe to its end, keeping the first `cap` bytes and counting the rest."""
    loop = asyncio.get_running_loop()
    fd = stream.fileno()
    os.set_blocking(fd, False)
    output = into if into is not None else CapturedOutput(bytearray())
    finished: asyncio.Future[None] = loop.create_future()

    def on_readable() -> None:
        while True:
            try:
                chunk = os.read(fd, _READ_CHUNK)
            except BlockingIOError:
                return
            except OSError:
                chunk = b""
            if not chunk:
                loop.remove_reader(fd)
                if not finished.done():
                    finished.set_result(None)
                return
            room = cap - len(output.data)
            if room > 0:
                output.data += chunk[:room]
            output.dropped += max(0, len(chunk) - max(room, 0))

    loop.add_reader(fd, on_readable)
    try:
        await finished
    finally:
        loop.remove_reader(fd)
    return output
