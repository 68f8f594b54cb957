"""Incidents: what crashed or failed, from Sentry, traceback text, a live exception, a test run."""

from app.healing.incidents.errors import IncidentOutsideRepository, UnreadableIncident
from app.healing.incidents.live import incident_from_exception
from app.healing.incidents.model import (
    ExceptionInfo,
    FailingTest,
    Frame,
    Incident,
    IncidentSource,
)
from app.healing.incidents.sentry import incident_from_sentry
from app.healing.incidents.traceback_text import incident_from_traceback, parse_traceback_text

__all__ = [
    "ExceptionInfo",
    "FailingTest",
    "Frame",
    "Incident",
    "IncidentOutsideRepository",
    "IncidentSource",
    "UnreadableIncident",
    "incident_from_exception",
    "incident_from_sentry",
    "incident_from_traceback",
    "parse_traceback_text",
]
