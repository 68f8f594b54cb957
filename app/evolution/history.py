"""The active strategy variant as a projection of `evolution.*` events, and how to record them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from app.events.model import Event, EventType
from app.events.store import EventStore
from app.evolution.variant import StrategyVariant, default_variant

STREAM = "evolution"
SOURCE = "kintsugi.evolution"
EVOLUTION_TYPES = (
    EventType.EVOLUTION_VARIANT_PROMOTED,
    EventType.EVOLUTION_VARIANT_ROLLED_BACK,
    EventType.EVOLUTION_REPLAY_COMPLETED,
)


@dataclass
class VariantHistory:
    """Which variant is active, the ones it replaced (most recent last) and what happened."""

    active: StrategyVariant = field(default_factory=default_variant)
    previous: list[StrategyVariant] = field(default_factory=list)
    promotions: int = 0
    rollbacks: int = 0
    # (cases, fixed) each promoted variant showed in replay, by variant id.
    replay_records: dict[str, tuple[int, int]] = field(default_factory=dict)
    # Global position from which the active variant has been in charge (0: from the start).
    active_since: int = 0
    replays: int = 0
    # Challengers of the active variant that, in its last replay, won cases and lost none
    # without reaching significance: directions worth combining.
    promising: list[StrategyVariant] = field(default_factory=list)

    def apply(self, event: Event) -> None:
        if event.type == EventType.EVOLUTION_REPLAY_COMPLETED:
            self.replays += 1
            if event.payload.get("variant") == self.active.id:
                self.promising = [
                    StrategyVariant.from_payload(c["definition"])
                    for c in event.payload.get("challengers", [])
                    if "definition" in c and c.get("wins", 0) > 0 and c.get("losses", 1) == 0
                ]
        elif event.type == EventType.EVOLUTION_VARIANT_PROMOTED:
            promoted = StrategyVariant.from_payload(event.payload["definition"])
            self.previous.append(self.active)
            self.active = promoted
            self.promotions += 1
            self.promising = []
            replay = event.payload.get("evidence", {}).get("challenger", {})
            if isinstance(replay.get("cases"), int) and isinstance(replay.get("fixed"), int):
                self.replay_records[promoted.id] = (replay["cases"], replay["fixed"])
            self.active_since = event.position or 0
        elif event.type == EventType.EVOLUTION_VARIANT_ROLLED_BACK:
            if event.payload.get("variant") != self.active.id:
                return  # a stale rollback of a variant no longer active changes nothing
            restored = event.payload.get("restored_definition")
            if self.previous:
                self.active = self.previous.pop()
            elif isinstance(restored, dict):
                self.active = StrategyVariant.from_payload(restored)
            else:
                self.active = default_variant()
            self.rollbacks += 1
            self.promising = []
            self.active_since = event.position or 0


def project_history(events: Iterable[Event]) -> VariantHistory:
    history = VariantHistory()
    for event in events:
        history.apply(event)
    return history


async def read_events(store: EventStore, types: Sequence[str] | None = None) -> list[Event]:
    """Every stored event of `types`, in position order, page by page."""
    found: list[Event] = []
    after = 0
    while True:
        page = await store.read_all(after=after, limit=1000, types=types)
        if not page:
            return found
        found.extend(page)
        after = page[-1].position or after + len(page)


async def load_history(store: EventStore) -> VariantHistory:
    return project_history(await read_events(store, [t.value for t in EVOLUTION_TYPES]))


async def active_variant(store: EventStore) -> StrategyVariant:
    """The variant live healing should use: the projection's active one."""
    return (await load_history(store)).active


async def record_promotion(
    store: EventStore,
    challenger: StrategyVariant,
    incumbent: StrategyVariant,
    evidence: dict[str, Any],
) -> Event:
    event = Event(
        type=EventType.EVOLUTION_VARIANT_PROMOTED,
        source=SOURCE,
        payload={
            "variant": challenger.id,
            "previous": incumbent.id,
            "note": challenger.note,
            "stage": "deployed",
            "definition": challenger.to_payload(),
            "previous_definition": incumbent.to_payload(),
            "evidence": evidence,
        },
    )
    return (await store.append(STREAM, event))[0]


async def record_rollback(
    store: EventStore,
    rolled_back: StrategyVariant,
    restored: StrategyVariant,
    reason: str,
    evidence: dict[str, Any],
) -> Event:
    event = Event(
        type=EventType.EVOLUTION_VARIANT_ROLLED_BACK,
        source=SOURCE,
        payload={
            "variant": rolled_back.id,
            "restored": restored.id,
            "reason": reason,
            "stage": "rolled back",
            "restored_definition": restored.to_payload(),
            "evidence": evidence,
        },
    )
    return (await store.append(STREAM, event))[0]


async def record_replay(
    store: EventStore, incumbent: StrategyVariant, summary: dict[str, Any]
) -> Event:
    """What one evolution run replayed and decided, promoted or not (its audit trail)."""
    event = Event(
        type=EventType.EVOLUTION_REPLAY_COMPLETED,
        source=SOURCE,
        payload={"variant": incumbent.id, "stage": "tested", **summary},
    )
    return (await store.append(STREAM, event))[0]
