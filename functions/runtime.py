"""The function runtime: registers functions, invokes them, and keeps what each invocation did."""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.events.model import Event, EventType
from app.workspace import RepositoryPathRefused, read_text
from functions.config import FunctionSpec, RepoFunctions, load_repo_functions
from functions.context import EdgeHandler, FunctionContext, FunctionOptions, options_of
from functions.invocation import (
    BAD_EVENT,
    FUNCTION_ERROR,
    NOT_FOUND,
    TIMED_OUT,
    CheckedResult,
    FunctionResponse,
    InvocationRecord,
    Start,
    check_event,
    check_result,
)
from functions.metrics import FunctionStats, InvocationLog
from functions.pool import PoolKey, WarmPool, WorkerFailed
from functions.sandbox import Sandbox, SandboxUnavailable

log = logging.getLogger(__name__)

EventSink = Callable[[Event], Awaitable[None]]
DEFAULT_MAX_RESULT_BYTES = 1_000_000


@dataclass(frozen=True)
class _InProcess:
    handler: EdgeHandler
    options: FunctionOptions


@dataclass(frozen=True)
class _Declared:
    spec: FunctionSpec
    checkout: Path
    repository: str


@dataclass(frozen=True)
class _Outcome:
    checked: CheckedResult
    start: Start
    region: str
    logs: tuple[str, ...] = ()


class ServerlessRuntime:
    """Runs the app's own functions in-process and repositories' functions only in the sandbox.

    `on_invoked` receives a `function.invoked` event per invocation; `keep_warm` is how many
    idle sandboxed workers each (repository, region, memory) pool keeps.
    """

    def __init__(
        self,
        *,
        sandbox: Sandbox | None = None,
        keep_warm: int = 1,
        max_result_bytes: int = DEFAULT_MAX_RESULT_BYTES,
        on_invoked: EventSink | None = None,
    ) -> None:
        self._sandbox = sandbox
        self._keep_warm = keep_warm
        self._max_result_bytes = max_result_bytes
        self._on_invoked = on_invoked
        self._pool: WarmPool | None = None
        self._functions: dict[tuple[str | None, str], _InProcess | _Declared] = {}
        self.invocations = InvocationLog()

    def register(
        self,
        name: str,
        handler: EdgeHandler,
        *,
        region: str | None = None,
        timeout: float | None = None,
        memory_mb: int | None = None,
    ) -> None:
        """Register one of the app's own callables, `handler(context, event)`, sync or async."""
        declared = options_of(handler)
        options = FunctionOptions(
            region=region or declared.region,
            timeout=timeout or declared.timeout,
            memory_mb=memory_mb or declared.memory_mb,
        )
        self._functions[(None, name)] = _InProcess(handler, options)

    def load_repository(self, checkout: Path, repository: str) -> RepoFunctions:
        """Register what `.github/kintsugi.yml` declares; problems are returned, not raised."""
        loaded = load_repo_functions(checkout)
        for key in [key for key in self._functions if key[0] == repository]:
            del self._functions[key]
        for name, spec in loaded.functions.items():
            self._functions[(repository, name)] = _Declared(spec, checkout.resolve(), repository)
        for problem in loaded.problems:
            log.warning("function config problem: %s", problem, extra={"repository": repository})
        return loaded

    def declared(self, repository: str, name: str) -> FunctionSpec | None:
        """The spec of a repository's function (the HTTP trigger checks `http` on it)."""
        target = self._functions.get((repository, name))
        return target.spec if isinstance(target, _Declared) else None

    def function_names(self, repository: str | None = None) -> list[str]:
        return sorted(name for repo, name in self._functions if repo == repository)

    async def invoke(
        self, name: str, event: Any = None, *, repository: str | None = None
    ) -> FunctionResponse:
        """Run a function once: 200, or 400/404/408/413/500 as the response's status code."""
        invocation_id = uuid.uuid4().hex
        started_at = datetime.now(UTC)
        started = time.perf_counter()
        event = {} if event is None else event
        target = self._functions.get((repository, name))
        if target is None:
            scope = f" in {repository}" if repository else ""
            outcome = _Outcome(
                CheckedResult(NOT_FOUND, error=f"no function {name!r}{scope}"),
                "in-process",
                "default",
            )
        elif (problem := check_event(event)) is not None:
            outcome = _Outcome(CheckedResult(BAD_EVENT, error=problem), "in-process", "default")
        elif isinstance(target, _InProcess):
            outcome = await self._in_process(name, target, event, invocation_id, repository)
        else:
            outcome = await self._sandboxed(name, target, event, invocation_id)
        elapsed_ms = (time.perf_counter() - started) * 1000
        checked = outcome.checked
        response = FunctionResponse(
            status_code=checked.status_code,
            body=checked.body if checked.error is None else {"error": checked.error},
            execution_time_ms=elapsed_ms,
            invocation_id=invocation_id,
            function_name=name,
            start=outcome.start,
            logs=outcome.logs,
            actions=checked.actions,
            error=checked.error,
        )
        record = InvocationRecord(
            invocation_id=invocation_id,
            function_name=name,
            repository=repository,
            region=outcome.region,
            status_code=response.status_code,
            execution_time_ms=elapsed_ms,
            start=outcome.start,
            started_at=started_at,
            error=checked.error,
        )
        self.invocations.add(record)
        await self._emit(record)
        return response

    def get_metrics(self, name: str, repository: str | None = None) -> list[InvocationRecord]:
        """One record per kept invocation of the function, oldest first."""
        return self.invocations.records((repository, name))

    def get_stats(self, name: str, repository: str | None = None) -> FunctionStats:
        return self.invocations.stats((repository, name))

    async def prewarm(self, name: str, repository: str, count: int = 1) -> None:
        """Start sandboxed workers for a repository's function before its first invocation."""
        target = self._functions.get((repository, name))
        if not isinstance(target, _Declared):
            raise KeyError(f"no function {name!r} in {repository}")
        await self._warm_pool().prewarm(_pool_key(target), count)

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()

    async def _in_process(
        self,
        name: str,
        target: _InProcess,
        event: dict[str, Any],
        invocation_id: str,
        repository: str | None,
    ) -> _Outcome:
        options = target.options
        context = FunctionContext(
            function_name=name,
            invocation_id=invocation_id,
            deadline=time.monotonic() + options.timeout,
            repository=repository,
            region=options.region,
            memory_limit_mb=options.memory_mb,
        )
        # A copy, so that the function cannot change the caller's event.
        own_event = json.loads(json.dumps(event))
        try:
            if inspect.iscoroutinefunction(target.handler):
                call = target.handler(context, own_event)
            else:
                call = asyncio.to_thread(target.handler, context, own_event)
            result = await asyncio.wait_for(call, options.timeout)
            checked = check_result(result, self._max_result_bytes)
        except TimeoutError:
            checked = CheckedResult(TIMED_OUT, error=f"timed out after {options.timeout:g} s")
        except Exception as error:
            log.warning("function %s failed", name, exc_info=True)
            checked = CheckedResult(FUNCTION_ERROR, error=f"{type(error).__name__}: {error}")
        return _Outcome(checked, "in-process", options.region, tuple(context.logs))

    async def _sandboxed(
        self, name: str, target: _Declared, event: dict[str, Any], invocation_id: str
    ) -> _Outcome:
        spec = target.spec
        try:
            pool = self._warm_pool()
        except SandboxUnavailable as unavailable:
            return _Outcome(
                CheckedResult(FUNCTION_ERROR, error=str(unavailable)), "cold", spec.region
            )
        try:
            source = await asyncio.to_thread(read_text, target.checkout, spec.file)
        except (OSError, RepositoryPathRefused) as error:
            checked = CheckedResult(FUNCTION_ERROR, error=f"cannot read {spec.file}: {error}")
            return _Outcome(checked, "cold", spec.region)
        except UnicodeDecodeError:
            checked = CheckedResult(FUNCTION_ERROR, error=f"cannot read {spec.file}: not UTF-8")
            return _Outcome(checked, "cold", spec.region)
        request = {
            "id": invocation_id,
            "file": spec.file,
            "source": source,
            "handler": spec.handler,
            "event": event,
            "context": {
                "function_name": name,
                "invocation_id": invocation_id,
                "repository": target.repository,
                "region": spec.region,
                "memory_limit_mb": spec.memory_mb,
                "timeout_ms": spec.timeout * 1000,
            },
        }
        start: Start = "cold"
        try:
            worker, warm = await pool.acquire(_pool_key(target))
            start = "warm" if warm else "cold"
            reply = await worker.call(request, spec.timeout)
        except WorkerFailed as failure:
            checked = CheckedResult(failure.status, error=str(failure))
            return _Outcome(checked, start, spec.region)
        await pool.release(worker)
        logs = tuple(str(line) for line in reply.get("logs", ()))
        if reply.get("ok"):
            checked = check_result(reply.get("result"), self._max_result_bytes)
        else:
            checked = CheckedResult(FUNCTION_ERROR, error=str(reply.get("error")))
        return _Outcome(checked, start, spec.region, logs)

    def _warm_pool(self) -> WarmPool:
        if self._pool is None:
            sandbox = self._sandbox or Sandbox()
            self._pool = WarmPool(
                sandbox, keep_warm=self._keep_warm, max_reply_bytes=self._max_result_bytes
            )
        return self._pool

    async def _emit(self, record: InvocationRecord) -> None:
        if self._on_invoked is None:
            return
        event = Event(
            type=EventType.FUNCTION_INVOKED,
            source="functions",
            stream=f"function-{record.repository or 'app'}/{record.function_name}",
            payload={
                "invocation_id": record.invocation_id,
                "function": record.function_name,
                "repository": record.repository,
                "region": record.region,
                "status_code": record.status_code,
                "execution_time_ms": record.execution_time_ms,
                "start": record.start,
                "error": record.error,
            },
        )
        try:
            await self._on_invoked(event)
        except Exception:
            # Metrics must never turn a finished invocation into a failure.
            log.exception("could not record function invocation", extra={"event_id": event.id})


def _pool_key(target: _Declared) -> PoolKey:
    spec = target.spec
    return PoolKey(target.repository, spec.region, spec.memory_mb)
