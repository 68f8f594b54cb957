"""The host's end of one sandboxed validation worker: starting it, one JSON line out and one
back per request, each bounded in size and time, and ending it."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any, Protocol, runtime_checkable

from app.healing.warm.sandboxed import WORKER_DIR, WORKER_SCRIPT

# A request carries candidate sources; an answer the run's report (and the baseline's coverage).
MAX_REQUEST_BYTES = 32 * 1024 * 1024
MAX_ANSWER_BYTES = 160 * 1024 * 1024  # a JUnit report and a coverage map, JSON-escaped
_STDERR_TAIL = 4000


class WorkerGone(Exception):
    """The worker died, stopped answering or answered something that is not its protocol."""


class LiveProcess(Protocol):
    """A started sandboxed process with pipes on its standard streams."""

    @property
    def stdin(self) -> IO[bytes] | None: ...

    @property
    def stdout(self) -> IO[bytes] | None: ...

    @property
    def stderr(self) -> IO[bytes] | None: ...

    def kill(self) -> None: ...

    async def wait(self) -> object: ...


@runtime_checkable
class ProcessStarter(Protocol):
    """A runner that can also start a long-lived sandboxed process (same isolation as `run`);
    its wall clock is the caller's to keep."""

    async def start(
        self,
        argv: Sequence[str],
        *,
        workdir: Path,
        timeout_seconds: float,
        readonly: Sequence[Path] = (),
        env: Mapping[str, str] | None = None,
    ) -> LiveProcess: ...


class WarmWorker:
    """One worker process in the sandbox; requests may overlap, answers come by their id."""

    def __init__(self, process: LiveProcess, reader: asyncio.StreamReader, lifetime: float):
        self._process = process
        self._reader = reader
        self._stderr = bytearray()
        self._drain = asyncio.ensure_future(self._keep_stderr())
        self._waiting: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._ids = itertools.count(1)
        self._gone: WorkerGone | None = None
        self._answers = asyncio.ensure_future(self._read_answers())
        # Whatever the case does, the worker does not outlive its budget.
        self._watchdog = asyncio.get_running_loop().call_later(lifetime, process.kill)
        self._closed = False

    @classmethod
    async def start(
        cls,
        starter: ProcessStarter,
        workdir: Path,
        *,
        python: Path,
        env: Mapping[str, str] | None,
        readonly: Sequence[Path],
        lifetime_seconds: float,
    ) -> WarmWorker:
        process = await starter.start(
            [str(python), str(WORKER_SCRIPT)],
            workdir=workdir,
            timeout_seconds=lifetime_seconds,
            readonly=(*readonly, WORKER_DIR),
            env=env,
        )
        if process.stdout is None or process.stdin is None:
            process.kill()
            await process.wait()
            raise WorkerGone("started without pipes")
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=MAX_ANSWER_BYTES)
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), process.stdout)
        return cls(process, reader, lifetime_seconds)

    @property
    def stderr_tail(self) -> str:
        return self._stderr[-_STDERR_TAIL:].decode("utf-8", errors="replace")

    async def request(self, message: Mapping[str, Any], seconds: float) -> dict[str, Any]:
        """Send one request and wait at most `seconds` for its answer."""
        number = next(self._ids)
        line = (json.dumps({**message, "id": number}) + "\n").encode("utf-8")
        if len(line) > MAX_REQUEST_BYTES:
            raise ValueError(f"a request of {len(line)} bytes is past {MAX_REQUEST_BYTES}")
        if self._gone is not None:
            raise self._gone
        if self._closed:
            raise WorkerGone("already ended")
        answer = asyncio.get_running_loop().create_future()
        self._waiting[number] = answer
        try:
            await asyncio.to_thread(self._send, line)
            return await asyncio.wait_for(asyncio.shield(answer), seconds)
        except TimeoutError:
            self._lost(WorkerGone(f"gave no answer within {seconds:.0f} s"))
            raise self._gone or WorkerGone("gave no answer") from None
        except OSError as error:
            self._lost(WorkerGone(f"broke its pipe ({error})"))
            raise self._gone or WorkerGone("broke its pipe") from None
        finally:
            self._waiting.pop(number, None)

    async def _read_answers(self) -> None:
        try:
            while line := await self._reader.readline():
                try:
                    decoded = json.loads(line)
                except ValueError:
                    self._lost(WorkerGone("answered something that is not JSON"))
                    return
                if not isinstance(decoded, dict):
                    self._lost(WorkerGone("answered something that is not a JSON object"))
                    return
                # An answer nobody waits for any more (its caller was cancelled) is dropped.
                number = decoded.get("id")
                waiting = self._waiting.get(number) if isinstance(number, int) else None
                if waiting is not None and not waiting.done():
                    waiting.set_result(decoded)
        except (OSError, ValueError) as error:  # a line past its bound, a broken pipe
            self._lost(WorkerGone(f"broke its pipe ({error})"))
            return
        await asyncio.sleep(0.05)  # let its last words reach the stderr tail
        self._lost(WorkerGone(f"died (its last words: {self.stderr_tail[-500:].strip() or '-'})"))

    def _lost(self, gone: WorkerGone) -> None:
        """The worker is of no more use: end it, and fail whatever waits on it."""
        if self._gone is None:
            self._gone = gone
        self._process.kill()
        for waiting in self._waiting.values():
            if not waiting.done():
                waiting.set_exception(self._gone)

    def _send(self, line: bytes) -> None:
        stdin = self._process.stdin
        assert stdin is not None
        stdin.write(line)
        stdin.flush()

    async def _keep_stderr(self) -> None:
        stream = self._process.stderr
        if stream is None:
            return
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), stream)
        while chunk := await reader.read(65536):
            self._stderr += chunk
            del self._stderr[: max(0, len(self._stderr) - _STDERR_TAIL)]

    async def close(self) -> None:
        """Ask the worker to end, then end it: nothing of it outlives the case."""
        if self._closed:
            return
        self._closed = True
        self._watchdog.cancel()
        stdin = self._process.stdin
        with contextlib.suppress(OSError, ValueError):
            if stdin is not None:
                await asyncio.to_thread(self._send, b'{"op": "exit"}\n')
                stdin.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._process.wait()), 2.0)
        self._process.kill()
        await self._process.wait()
        for task in (self._answers, self._drain):
            with contextlib.suppress(TimeoutError, asyncio.CancelledError):
                await asyncio.wait_for(task, 1.0)
