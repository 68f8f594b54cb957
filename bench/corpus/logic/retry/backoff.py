"""Retrying flaky operations with exponential back-off."""

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class TemporaryFailure(Exception):
    """Raised by an operation that may succeed when tried again."""


def delays(attempts: int, base: float = 0.5, cap: float = 8.0) -> list[float]:
    """The waits between attempts: no wait before the first, doubling after."""
    return [min(cap, base * 2**retry) for retry in range(attempts - 1)]


def call_with_retries(
    operation: Callable[[], T], attempts: int, sleep: Callable[[float], None]
) -> T:
    waits = delays(attempts)
    for attempt in range(1, attempts):
        try:
            return operation()
        except TemporaryFailure:
            if attempt == attempts:
                raise
            sleep(waits[attempt - 1])
    raise RuntimeError("unreachable")
