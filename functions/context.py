"""What a function is told about its invocation, and the decorator that declares one in code."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

DEFAULT_REGION = "default"
DEFAULT_TIMEOUT_SECONDS = 5.0
DEFAULT_MEMORY_MB = 128

EdgeHandler = Callable[..., Awaitable[Any] | Any]
F = TypeVar("F", bound=EdgeHandler)


@dataclass(frozen=True)
class FunctionOptions:
    """Where and how long a function may run."""

    region: str = DEFAULT_REGION
    timeout: float = DEFAULT_TIMEOUT_SECONDS
    memory_mb: int = DEFAULT_MEMORY_MB


class _CollectingLogger(logging.LoggerAdapter[logging.Logger]):
    """Logs through stdlib logging and keeps each line for the invocation's response."""

    def __init__(self, name: str, extra: dict[str, object], lines: list[str]) -> None:
        super().__init__(logging.getLogger(name), extra)
        self.lines = lines

    def log(self, level: int, msg: object, *args: object, **kwargs: Any) -> None:
        text = str(msg) % args if args else str(msg)
        self.lines.append(f"{logging.getLevelName(level)} {text}")
        super().log(level, msg, *args, **kwargs)


@dataclass
class FunctionContext:
    """Handed to every invocation: who is running, until when, and a logger. Never a token."""

    function_name: str
    invocation_id: str
    deadline: float  # time.monotonic() value after which the invocation is cut off
    repository: str | None = None
    region: str = DEFAULT_REGION
    memory_limit_mb: int = DEFAULT_MEMORY_MB
    logs: list[str] = field(default_factory=list)
    logger: logging.LoggerAdapter[logging.Logger] = field(init=False)

    def __post_init__(self) -> None:
        self.logger = _CollectingLogger(
            "functions.invocation",
            {
                "function": self.function_name,
                "invocation_id": self.invocation_id,
                "repository": self.repository,
            },
            self.logs,
        )

    def remaining_time_ms(self) -> float:
        """Milliseconds left before the deadline, never negative."""
        return max(0.0, (self.deadline - time.monotonic()) * 1000)


def edge_function(
    *,
    region: str = DEFAULT_REGION,
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    memory_mb: int = DEFAULT_MEMORY_MB,
) -> Callable[[F], F]:
    """Declare a function's region, timeout and memory; `ServerlessRuntime.register` reads them."""
    if timeout <= 0:
        raise ValueError("timeout must be positive")
    options = FunctionOptions(region=region, timeout=timeout, memory_mb=memory_mb)

    def declare(handler: F) -> F:
        handler.__edge_function__ = options  # type: ignore[attr-defined]  # read by register()
        return handler

    return declare


def options_of(handler: EdgeHandler) -> FunctionOptions:
    options = getattr(handler, "__edge_function__", None)
    return options if isinstance(options, FunctionOptions) else FunctionOptions()
