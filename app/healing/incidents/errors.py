"""Errors raised when an incident cannot be read or placed in a repository."""

from __future__ import annotations

from app.errors import PermanentError


class UnreadableIncident(PermanentError):
    """The input holds no usable exception: no traceback, no stack trace, not JSON."""


class IncidentOutsideRepository(PermanentError):
    """None of the incident's frames is a file of the repository being healed."""
