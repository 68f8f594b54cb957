"""The outcome of one invocation: the response a caller gets and the record metrics keep."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

OK = 200
BAD_EVENT = 400
NOT_FOUND = 404
TIMED_OUT = 408
TOO_LARGE = 413
FUNCTION_ERROR = 500

Start = Literal["in-process", "cold", "warm"]


class FunctionActions(BaseModel):
    """What a function asks the app to do on the triggering issue or pull request."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    comment: str | None = Field(default=None, min_length=1, max_length=65_536)
    labels: tuple[str, ...] = Field(default=(), max_length=20)


@dataclass(frozen=True)
class FunctionResponse:
    """What `invoke` returns: an HTTP-like status, the JSON body, and how the run went."""

    status_code: int
    body: Any
    execution_time_ms: float
    invocation_id: str
    function_name: str
    start: Start
    logs: tuple[str, ...] = ()
    actions: FunctionActions | None = None
    error: str | None = None

    @property
    def cold(self) -> bool:
        return self.start == "cold"

    def to_json(self) -> dict[str, Any]:
        return {
            "status_code": self.status_code,
            "body": self.body,
            "execution_time_ms": round(self.execution_time_ms, 3),
            "invocation_id": self.invocation_id,
            "function": self.function_name,
            "start": self.start,
            "logs": list(self.logs),
            "actions": self.actions.model_dump(mode="json", exclude_defaults=True)
            if self.actions
            else None,
            "error": self.error,
        }


@dataclass(frozen=True)
class InvocationRecord:
    """One invocation as metrics keep it."""

    invocation_id: str
    function_name: str
    repository: str | None
    region: str
    status_code: int
    execution_time_ms: float
    start: Start
    started_at: datetime
    error: str | None = None

    @property
    def timed_out(self) -> bool:
        return self.status_code == TIMED_OUT

    @property
    def failed(self) -> bool:
        return self.status_code >= 400


@dataclass(frozen=True)
class CheckedResult:
    """A function's return value once checked: JSON, small enough, actions well formed."""

    status_code: int
    body: Any = None
    actions: FunctionActions | None = None
    error: str | None = None


def check_event(event: object) -> str | None:
    """Why an event cannot be handed to a function, or None when it can."""
    if not isinstance(event, dict):
        return "the event must be a JSON object"
    try:
        json.dumps(event)
    except (TypeError, ValueError) as error:
        return f"the event is not JSON: {error}"
    return None


def check_result(result: object, max_bytes: int) -> CheckedResult:
    """Turn what a function returned into a status: 200, 413 when too large, 500 when not JSON."""
    try:
        encoded = json.dumps(result)
    except (TypeError, ValueError) as error:
        return CheckedResult(FUNCTION_ERROR, error=f"the result is not JSON: {error}")
    if len(encoded.encode()) > max_bytes:
        return CheckedResult(TOO_LARGE, error=f"the result is larger than {max_bytes} bytes")
    actions = None
    if isinstance(result, dict) and "actions" in result:
        try:
            actions = FunctionActions.model_validate(result["actions"])
        except ValidationError as error:
            return CheckedResult(FUNCTION_ERROR, error=f"invalid actions: {error}")
    return CheckedResult(OK, body=result, actions=actions)
