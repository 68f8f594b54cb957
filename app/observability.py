"""Structured JSON logs and the Prometheus metrics the app and workers export."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from prometheus_client import Counter, Gauge, Histogram

from app.logcontext import ContextFilter, log_context

__all__ = ["ContextFilter", "configure_logging", "log_context"]

WEBHOOKS = Counter(
    "kintsugi_webhooks_total",
    "Webhook deliveries by provider, type and answer",
    ["provider", "type", "status"],
)
WEBHOOK_SECONDS = Histogram(
    "kintsugi_webhook_seconds",
    "Time to verify, store and answer a webhook",
    ["provider"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
)
JOBS = Counter("kintsugi_jobs_total", "Event job attempts by outcome", ["outcome"])
JOB_SECONDS = Histogram("kintsugi_job_seconds", "Event job duration", ["event_type"])
QUEUE_DEPTH = Gauge("kintsugi_queue_depth", "Jobs waiting in the queue")
OUTBOX_PENDING = Gauge("kintsugi_outbox_pending", "Stored events not yet handed to the queue")
OUTBOX_LAG = Gauge("kintsugi_outbox_lag_seconds", "Age of the oldest pending outbox entry")
QUEUE_RECONNECTS = Counter(
    "kintsugi_queue_reconnects_total",
    "Times the queue's Redis answered again after an outage, by the process that noticed",
    ["process"],
)
LOST_JOBS_REQUEUED = Counter(
    "kintsugi_lost_jobs_requeued_total",
    "Jobs handed over again because Redis restarted without them",
)
EVENTS_STORED = Gauge(
    "kintsugi_events_stored", "Events in the log by type (healing outcomes among them)", ["type"]
)

# Attributes every LogRecord has; anything else came in through `extra=` and is logged as a field.
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and the `extra` fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str = "INFO", *, json_lines: bool = True) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if json_lines:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
