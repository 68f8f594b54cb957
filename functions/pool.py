"""Warm pools of sandboxed Python workers, one pool per repository, region and memory size."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import shutil
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from functions import worker_loop
from functions.sandbox import Sandbox, SandboxLimits
from functions.sandbox_process import CapturedOutput, SandboxedProcess, capture

log = logging.getLogger(__name__)

_STDERR_KEPT = 16_384
_START_TIMEOUT_SECONDS = 10.0
# A worker's CPU rlimit covers its whole life, so it is retired before it could run out.
_WORKER_CPU_SECONDS = 600
_MAX_INVOCATIONS_PER_WORKER = 1_000


@dataclass(frozen=True)
class PoolKey:
    """Workers are never shared across these: state left by one call stays in its repository."""

    repository: str
    region: str
    memory_mb: int


class WorkerFailed(Exception):
    """The worker died, timed out or broke the protocol; it has been killed."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class SandboxWorker:
    """One sandboxed interpreter running the worker loop, serving one request at a time."""

    def __init__(
        self, key: PoolKey, process: SandboxedProcess, workdir: Path, max_reply_bytes: int
    ) -> None:
        self.key = key
        self.invocations = 0
        self._process = process
        self._workdir = workdir
        self._stderr = CapturedOutput(bytearray())
        assert process.stderr is not None
        self._drain = asyncio.ensure_future(capture(process.stderr, _STDERR_KEPT, self._stderr))
        self._reader = asyncio.StreamReader(limit=max_reply_bytes + 65_536)
        self._connected = False

    @property
    def alive(self) -> bool:
        return self._process.exited is None and self.invocations < _MAX_INVOCATIONS_PER_WORKER

    async def ready(self) -> None:
        loop = asyncio.get_running_loop()
        assert self._process.stdout is not None
        await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(self._reader), self._process.stdout
        )
        self._connected = True
        await self._reply(_START_TIMEOUT_SECONDS)

    async def call(self, request: dict[str, Any], seconds: float) -> dict[str, Any]:
        """Send one request and wait for its reply; any failure kills the worker."""
        self.invocations += 1
        line = (json.dumps(request) + "\n").encode()
        stdin = self._process.stdin
        assert stdin is not None
        try:
            await asyncio.to_thread(_write, stdin, line)
        except (BrokenPipeError, ValueError):
            await self.close()
            raise WorkerFailed(500, f"the worker died: {self.stderr_tail()}") from None
        return await self._reply(seconds)

    async def _reply(self, seconds: float) -> dict[str, Any]:
        try:
            line = await asyncio.wait_for(self._reader.readline(), seconds)
        except TimeoutError:
            await self.close()
            raise WorkerFailed(408, f"timed out after {seconds:g} s") from None
        except (asyncio.LimitOverrunError, ValueError):
            await self.close()
            raise WorkerFailed(413, "the reply is larger than allowed") from None
        if not line:
            await self.close()
            raise WorkerFailed(500, f"the worker died: {self.stderr_tail()}")
        reply: dict[str, Any] = json.loads(line)
        return reply

    def stderr_tail(self) -> str:
        return self._stderr.data[-2_000:].decode("utf-8", errors="replace").strip()

    async def close(self) -> None:
        self._process.kill()
        await self._process.wait()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._drain, 1.0)
        for stream in (self._process.stdin, self._process.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        await asyncio.to_thread(shutil.rmtree, self._workdir, True)


def _write(stream: Any, data: bytes) -> None:
    stream.write(data)
    stream.flush()


@functools.cache
def _worker_source() -> str:
    return Path(worker_loop.__file__).read_text(encoding="utf-8")


class WarmPool:
    """Idle workers kept per key, so that the next call to the same key skips start-up."""

    def __init__(self, sandbox: Sandbox, *, keep_warm: int = 1, max_reply_bytes: int) -> None:
        self._sandbox = sandbox
        self._keep_warm = keep_warm
        self._max_reply_bytes = max_reply_bytes
        self._idle: dict[PoolKey, list[SandboxWorker]] = defaultdict(list)
        self._retiring: set[asyncio.Task[None]] = set()

    async def acquire(self, key: PoolKey) -> tuple[SandboxWorker, bool]:
        """A worker for `key` and whether it was warm (already running)."""
        idle = self._idle[key]
        while idle:
            worker = idle.pop()
            if worker.alive:
                return worker, True
            await worker.close()
        return await self.start(key), False

    async def release(self, worker: SandboxWorker) -> None:
        idle = self._idle[worker.key]
        if worker.alive and len(idle) < self._keep_warm:
            idle.append(worker)
        else:
            # Tearing a sandbox down is not part of the invocation the caller waits for.
            retiring = asyncio.ensure_future(worker.close())
            self._retiring.add(retiring)
            retiring.add_done_callback(self._retiring.discard)

    async def prewarm(self, key: PoolKey, count: int = 1) -> None:
        while len(self._idle[key]) < count:
            self._idle[key].append(await self.start(key))

    def idle_count(self, key: PoolKey) -> int:
        return len(self._idle[key])

    async def start(self, key: PoolKey) -> SandboxWorker:
        workdir = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="kintsugi-fn-"))
        limits = SandboxLimits(
            cpu_seconds=_WORKER_CPU_SECONDS,
            memory_mb=key.memory_mb,
            max_processes=16,
            max_file_mb=16,
            max_open_files=128,
            tmp_mb=64,
            disk_mb=64,
        )
        argv = [self._sandbox.python, "-I", "-S", "-c", _worker_source()]
        process = await self._sandbox.start(argv, workdir=workdir, limits=limits)
        worker = SandboxWorker(key, process, workdir, self._max_reply_bytes)
        try:
            await worker.ready()
        except WorkerFailed as failure:
            log.error("function worker failed to start", extra={"stderr": worker.stderr_tail()})
            raise WorkerFailed(500, f"the function worker failed to start: {failure}") from None
        return worker

    async def close(self) -> None:
        workers = [worker for idle in self._idle.values() for worker in idle]
        self._idle.clear()
        await asyncio.gather(*(worker.close() for worker in workers), *self._retiring)
