"""Reading an `Incident` from a Sentry event: raw sentry-sdk event or a webhook body."""

from __future__ import annotations

import json
from typing import Any

from app.healing.incidents.errors import UnreadableIncident
from app.healing.incidents.model import ExceptionInfo, Frame, Incident, IncidentSource
from app.healing.incidents.redaction import redact_vars


def incident_from_sentry(payload: dict[str, Any] | str | bytes) -> Incident:
    """Accepts a raw event, an `event_alert` webhook body (`data.event`) or an `error` one
    (`data.error`); anything without an exception stack trace is an `UnreadableIncident`."""
    if isinstance(payload, str | bytes):
        try:
            payload = json.loads(payload)
        except ValueError as error:
            raise UnreadableIncident(f"the Sentry event is not JSON: {error}") from error
    if not isinstance(payload, dict):
        raise UnreadableIncident("the Sentry event is not a JSON object")
    event = _unwrap(payload)
    values = _exception_values(event)
    if not values:
        raise UnreadableIncident(
            "the Sentry event has no exception (exception.values is missing or empty)"
        )
    exceptions = tuple(_exception(value) for value in values)
    release = event.get("release")
    return Incident(
        source=IncidentSource.SENTRY,
        exceptions=exceptions,
        release=release if isinstance(release, str) else None,
        title=str(event.get("title") or ""),
    )


def _unwrap(payload: dict[str, Any]) -> dict[str, Any]:
    data = payload.get("data")
    if isinstance(data, dict):
        for key in ("event", "error"):
            if isinstance(data.get(key), dict):
                inner: dict[str, Any] = data[key]
                return inner
        raise UnreadableIncident(
            "the webhook body carries no event (expected data.event or data.error)"
        )
    return payload


def _exception_values(event: dict[str, Any]) -> list[dict[str, Any]]:
    exception = event.get("exception")
    # Older SDKs and some webhooks send the list directly instead of {"values": [...]}.
    values = exception.get("values") if isinstance(exception, dict) else exception
    if not isinstance(values, list):
        return []
    return [value for value in values if isinstance(value, dict)]


def _exception(value: dict[str, Any]) -> ExceptionInfo:
    stacktrace = value.get("stacktrace")
    raw_frames = stacktrace.get("frames") if isinstance(stacktrace, dict) else None
    frames = tuple(
        _frame(raw)
        for raw in (raw_frames if isinstance(raw_frames, list) else [])
        if isinstance(raw, dict)
    )
    module = value.get("module")
    type_name = str(value.get("type") or "Exception")
    if isinstance(module, str) and module not in ("builtins", "__builtin__", ""):
        type_name = f"{module}.{type_name}"
    return ExceptionInfo(type=type_name, value=str(value.get("value") or ""), frames=frames)


def _frame(raw: dict[str, Any]) -> Frame:
    filename = raw.get("abs_path") or raw.get("filename") or "<unknown>"
    raw_vars = raw.get("vars")
    lineno = raw.get("lineno")
    in_app = raw.get("in_app")
    return Frame(
        filename=str(filename),
        function=str(raw.get("function") or "<unknown>"),
        lineno=lineno if isinstance(lineno, int) else None,
        module=raw.get("module") if isinstance(raw.get("module"), str) else None,
        context_line=raw.get("context_line") if isinstance(raw.get("context_line"), str) else None,
        in_app=in_app if isinstance(in_app, bool) else None,
        vars=redact_vars(raw_vars) if isinstance(raw_vars, dict) else {},
    )
