"""Fields that every log line written inside a block carries (event, installation, case ids).

Standard library only, so domain code can tag its logs without importing the app's exporters.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from types import MappingProxyType
from typing import Any

# Fields every log line written while handling one event carries (event, installation, case…).
_log_context: ContextVar[Mapping[str, Any]] = ContextVar(
    "kintsugi_log_context", default=MappingProxyType({})
)


@contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Add `fields` to every log record emitted inside the block (by this task)."""
    token = _log_context.set({**_log_context.get(), **fields})
    try:
        yield
    finally:
        _log_context.reset(token)


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in _log_context.get().items():
            if not hasattr(record, key):
                setattr(record, key, value)
        return True
