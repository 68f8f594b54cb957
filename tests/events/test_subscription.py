"""Catch-up subscriptions resume from their stored checkpoint on every backend."""

from __future__ import annotations

from app.events import CatchUpSubscription, Event, EventStore


async def test_subscription_handles_each_event_once_across_restarts(store: EventStore) -> None:
    handled: list[int] = []

    async def project(event: Event) -> None:
        handled.append(event.payload["n"])

    await store.append("s", [Event(type="t", source="s", payload={"n": n}) for n in range(3)])
    assert await CatchUpSubscription(store, "projector", project).catch_up() == 3

    await store.append("s", Event(type="t", source="s", payload={"n": 3}))
    restarted = CatchUpSubscription(store, "projector", project, batch_size=2)
    assert await restarted.catch_up() == 1

    assert handled == [0, 1, 2, 3]
    assert await store.load_checkpoint("projector") == 4


async def test_type_filter_still_advances_the_checkpoint(store: EventStore) -> None:
    handled: list[str] = []

    async def project(event: Event) -> None:
        handled.append(event.type)

    await store.append("s", [Event(type=t, source="s") for t in ("a", "b", "a", "c")])
    await CatchUpSubscription(store, "only-a", project, types=["a"]).catch_up()

    assert handled == ["a", "a"]
    assert await store.load_checkpoint("only-a") == 4
