"""Which installation serves which repository, projected from the stored installation events.

The fold itself is the dashboard's `project_installations` (one fold, so both views agree);
this module reads the events from the store and answers the GitHub side's questions."""

from __future__ import annotations

from dataclasses import dataclass

from app.dashboard.installations import (
    INSTALLATION_EVENT_TYPES,
    Installation,
    project_installations,
)
from app.events.store import EventStore

__all__ = ["INSTALLATION_EVENT_TYPES", "Installation", "Installations", "load_installations"]


@dataclass(frozen=True)
class Installations:
    """Every installation the event log knows, with lookups by id and by repository."""

    all: tuple[Installation, ...]

    def get(self, installation_id: int) -> Installation | None:
        return next((item for item in self.all if item.id == installation_id), None)

    def for_repository(self, full_name: str) -> Installation | None:
        """The active installation that covers `full_name` (case-insensitive, as GitHub is)."""
        wanted = full_name.lower()
        for item in self.all:
            if item.status == "active" and wanted in (r.lower() for r in item.repositories):
                return item
        return None

    def active(self) -> list[Installation]:
        return [item for item in self.all if item.status == "active"]


async def load_installations(store: EventStore, *, page: int = 1000) -> Installations:
    """Fold every stored installation event, in log order."""
    events = []
    after = 0
    while True:
        batch = await store.read_all(after=after, limit=page, types=INSTALLATION_EVENT_TYPES)
        events.extend(batch)
        if len(batch) < page:
            break
        after = batch[-1].position or after
    return Installations(tuple(project_installations(events)))
