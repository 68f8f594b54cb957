"""Validation of GitHub webhook payloads against githubkit's typed models."""

from __future__ import annotations

import importlib
import logging
from functools import lru_cache
from typing import Any

from githubkit.webhooks import parse_obj
from pydantic import TypeAdapter, ValidationError

log = logging.getLogger(__name__)

# githubkit's parse_obj builds a new pydantic TypeAdapter on every call (~3 ms); the models are
# looked up the way it does, but each adapter is built once per event name.
_NAMESPACE = importlib.import_module(parse_obj.__module__)


@lru_cache(maxsize=256)
def _adapter(event: str) -> TypeAdapter[Any] | None:
    if event not in _NAMESPACE.VALID_EVENT_NAMES:
        return None
    module = importlib.import_module(f".{event}", _NAMESPACE.__package__)
    return TypeAdapter(module.Event)


def validate_github_payload(event: str, payload: dict[str, Any]) -> bool | None:
    """True when githubkit's model for `event` accepts the payload, False when it does not
    (many real payloads predate the models), None when githubkit has no model for `event`."""
    adapter = _adapter(event)
    if adapter is None:
        return None
    try:
        adapter.validate_python(payload)
    except ValidationError as error:
        log.debug(
            "payload failed validation", extra={"event": event, "errors": error.error_count()}
        )
        return False
    return True
