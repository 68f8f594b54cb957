"""Validation of GitHub webhook payloads against githubkit's typed models."""

from __future__ import annotations

import logging
from typing import Any

from githubkit.exception import WebhookTypeNotFound
from githubkit.webhooks import parse_obj
from pydantic import ValidationError

log = logging.getLogger(__name__)


def validate_github_payload(event: str, payload: dict[str, Any]) -> bool | None:
    """True when githubkit's model for `event` accepts the payload, False when it does not
    (many real payloads predate the models), None when githubkit has no model for `event`."""
    try:
        parse_obj(event, payload)
    except WebhookTypeNotFound:
        return None
    except ValidationError as error:
        log.debug(
            "payload failed validation", extra={"event": event, "errors": error.error_count()}
        )
        return False
    return True
