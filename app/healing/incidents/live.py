"""Reading an `Incident` from an exception caught in this process (the seed's `handle_error`)."""

from __future__ import annotations

import reprlib
import traceback
from types import TracebackType

from app.healing.incidents.model import ExceptionInfo, Frame, Incident, IncidentSource
from app.healing.incidents.redaction import redact_vars

_REPR = reprlib.Repr()
_REPR.maxstring = 200
_REPR.maxother = 200
_REPR.maxlist = _REPR.maxdict = _REPR.maxset = _REPR.maxtuple = 20


def incident_from_exception(error: BaseException) -> Incident:
    """The chain `error` ends, oldest first, with each frame's locals as repr strings."""
    chain: list[BaseException] = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append(current)
        cause = current.__cause__
        current = (
            cause
            if cause is not None
            else (None if current.__suppress_context__ else current.__context__)
        )
    return Incident(
        source=IncidentSource.LIVE,
        exceptions=tuple(_exception(item) for item in reversed(chain)),
    )


def _exception(error: BaseException) -> ExceptionInfo:
    kind = type(error)
    name = (
        kind.__qualname__
        if kind.__module__ == "builtins"
        else f"{kind.__module__}.{kind.__qualname__}"
    )
    return ExceptionInfo(type=name, value=str(error), frames=_frames(error.__traceback__))


def _frames(tb: TracebackType | None) -> tuple[Frame, ...]:
    frames: list[Frame] = []
    for frame, lineno in traceback.walk_tb(tb):
        code = frame.f_code
        summary = traceback.FrameSummary(code.co_filename, lineno, code.co_name)
        local_reprs = {name: _safe_repr(value) for name, value in frame.f_locals.items()}
        frames.append(
            Frame(
                filename=code.co_filename,
                function=code.co_name,
                lineno=lineno,
                module=frame.f_globals.get("__name__"),
                context_line=summary.line,
                vars=redact_vars(local_reprs),
            )
        )
    return tuple(frames)


def _safe_repr(value: object) -> str:
    try:
        return _REPR.repr(value)
    except Exception:  # a broken __repr__ must not stop the healing of its crash
        return f"<{type(value).__name__} object>"
