"""The loop a sandboxed function worker runs: one JSON request per stdin line, one reply out.

Runs inside the sandbox as `python -I -S -c <source>`, so it uses the standard library only
and never imports Kintsugi. A function is one file, sent as source: the sandbox sees nothing
of the checkout. A request is `{"id", "file", "source", "handler", "event", "context":
{"function_name", "invocation_id", "repository", "region", "memory_limit_mb", "timeout_ms"}}`;
the reply is
`{"id", "ok", "result" | "error", "logs", "cpu_seconds", "peak_memory_mb"}`.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import json
import logging
import os
import resource
import sys
import time
import traceback
from collections.abc import Callable
from types import ModuleType
from typing import Any

_MODULES: dict[str, tuple[str, ModuleType]] = {}


class Context:
    """What the handler's `context` argument offers; mirrors functions.FunctionContext."""

    def __init__(self, fields: dict[str, Any], logs: list[str]) -> None:
        self.function_name = fields["function_name"]
        self.invocation_id = fields["invocation_id"]
        self.repository = fields.get("repository")
        self.region = fields.get("region", "default")
        self.memory_limit_mb = fields.get("memory_limit_mb")
        self.deadline: float = time.monotonic() + fields["timeout_ms"] / 1000
        self.logs = logs
        self.logger = logging.getLogger(f"function.{self.function_name}")
        self.logger.handlers = [_ListHandler(logs)]
        self.logger.setLevel(logging.DEBUG)
        self.logger.propagate = False

    def remaining_time_ms(self) -> float:
        return max(0.0, (self.deadline - time.monotonic()) * 1000)


class _ListHandler(logging.Handler):
    def __init__(self, lines: list[str]) -> None:
        super().__init__()
        self.lines = lines

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.levelname} {record.getMessage()}")


def _handler(path: str, source: str, name: str) -> Callable[..., Any]:
    digest = hashlib.sha256(source.encode()).hexdigest()
    cached = _MODULES.get(path)
    if cached is None or cached[0] != digest:
        module = ModuleType(f"repo_function_{len(_MODULES)}")
        module.__file__ = path
        exec(compile(source, path, "exec"), module.__dict__)
        cached = (digest, module)
        _MODULES[path] = cached
    handler = getattr(cached[1], name, None)
    if not callable(handler):
        raise AttributeError(f"{path} has no function {name!r}")
    return handler  # type: ignore[no-any-return]  # whatever the repository defined


def _invoke(request: dict[str, Any]) -> dict[str, Any]:
    logs: list[str] = []
    context = Context(request["context"], logs)
    printed = io.StringIO()
    try:
        with contextlib.redirect_stdout(printed):
            handler = _handler(request["file"], request["source"], request["handler"])
            result = handler(request["event"], context)
            if asyncio.iscoroutine(result):
                result = asyncio.run(result)
        json.dumps(result)
        reply: dict[str, Any] = {"ok": True, "result": result}
    except Exception as error:
        trace = traceback.format_exception(type(error), error, error.__traceback__)
        reply = {"ok": False, "error": f"{type(error).__name__}: {error}", "trace": trace[-8:]}
    logs.extend(line for line in printed.getvalue().splitlines() if line)
    usage = resource.getrusage(resource.RUSAGE_SELF)
    reply.update(
        id=request.get("id"),
        logs=logs[-200:],
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        peak_memory_mb=usage.ru_maxrss / 1024,
    )
    return reply


def main() -> None:
    # Keep the real stdout for replies; anything else written to fd 1 (prints from C code,
    # subprocesses) goes to stderr instead of corrupting the protocol.
    replies = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    replies.write(json.dumps({"ready": True}) + "\n")
    for line in sys.stdin:
        if line.strip():
            replies.write(json.dumps(_invoke(json.loads(line))) + "\n")


if __name__ == "__main__":
    main()
