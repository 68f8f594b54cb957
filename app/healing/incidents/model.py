"""The incident: what crashed or failed, as frames and chained exceptions, whatever the source."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class IncidentSource(StrEnum):
    """Where an incident was read from."""

    SENTRY = "sentry"
    TRACEBACK = "traceback"
    TEST_RUN = "test_run"
    LIVE = "live"


@dataclass(frozen=True)
class Frame:
    """One stack frame, caller before callee. `vars` holds repr strings (as Sentry sends them)."""

    filename: str
    function: str
    lineno: int | None
    module: str | None = None
    context_line: str | None = None
    in_app: bool | None = None
    vars: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ExceptionInfo:
    """One exception of a chain; `frames` run caller → callee, the last one raised."""

    type: str
    value: str
    frames: tuple[Frame, ...] = ()

    @property
    def crash_frame(self) -> Frame | None:
        return self.frames[-1] if self.frames else None

    @property
    def short_type(self) -> str:
        """`KeyError` for `builtins.KeyError` or `mypkg.errors.KeyError`."""
        return self.type.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class FailingTest:
    """A test that failed in a test run, with the exception it failed on."""

    node_id: str
    exception: ExceptionInfo | None = None


@dataclass(frozen=True)
class Incident:
    """A crash or a failing test run. `exceptions` run oldest → newest: the last was raised."""

    source: IncidentSource
    exceptions: tuple[ExceptionInfo, ...]
    failing_tests: tuple[FailingTest, ...] = ()
    release: str | None = None
    title: str = ""

    @property
    def exception(self) -> ExceptionInfo:
        """The exception that was raised last (what a user saw)."""
        return self.exceptions[-1]

    @property
    def summary(self) -> str:
        if self.title:
            return self.title
        exc = self.exception
        return f"{exc.type}: {exc.value}" if exc.value else exc.type
