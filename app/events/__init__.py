"""Kintsugi's event backbone: events, stores, the bus and catch-up subscriptions."""

from app.events.bus import EventBus, EventHandler, EventPublisher
from app.events.memory import InMemoryEventStore
from app.events.model import Event, EventMetadata, EventType, webhook_event_type
from app.events.sql import SqlEventStore
from app.events.store import (
    ConcurrencyError,
    DuplicateEventError,
    EventStore,
    OutboxEntry,
    OutboxStatus,
)
from app.events.subscription import CatchUpSubscription

__all__ = [
    "CatchUpSubscription",
    "ConcurrencyError",
    "DuplicateEventError",
    "Event",
    "EventBus",
    "EventHandler",
    "EventMetadata",
    "EventPublisher",
    "EventStore",
    "EventType",
    "InMemoryEventStore",
    "OutboxEntry",
    "OutboxStatus",
    "SqlEventStore",
    "webhook_event_type",
]
