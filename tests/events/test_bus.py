"""The in-process bus: the seed's event-driven example, subscriptions and failure isolation."""

from __future__ import annotations

import pytest

from app.events import Event, EventBus, EventPublisher, EventType, InMemoryEventStore


async def test_seed_event_driven_example_runs_as_written(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # set-up
    bus = EventBus()
    await bus.start()

    event_store = InMemoryEventStore()

    # publish an event
    publisher = EventPublisher(bus, "my-service")
    event = await publisher.publish(
        EventType.ML_TRAINING_STARTED, payload={"model": "classification", "dataset": "train.csv"}
    )

    # keep it in the event store
    await event_store.append("ml-training-stream", event)

    # subscribe to events
    received: list[Event] = []

    class MyHandler:
        async def handle(self, event: Event) -> None:
            received.append(event)
            print(f"Received: {event.type}")

    handler = MyHandler()
    bus.subscribe(EventType.ML_TRAINING_STARTED, handler)

    # what the example implies: the stream holds the event, and the handler prints it: delivery
    # is asynchronous, so a handler subscribed before the bus delivers still receives it
    (stored,) = await event_store.read_stream("ml-training-stream")
    assert stored.id == event.id
    assert stored.source == "my-service"
    assert stored.payload == {"model": "classification", "dataset": "train.csv"}
    second = await publisher.publish(EventType.ML_TRAINING_STARTED, payload={"model": "x"})
    await bus.stop()
    assert [e.id for e in received] == [event.id, second.id]
    assert capsys.readouterr().out.count("Received: ml.training_started") == 2


async def test_functions_and_catch_all_subscribers_receive_in_order() -> None:
    bus = EventBus()
    await bus.start()
    typed: list[str] = []
    everything: list[str] = []

    async def on_case(event: Event) -> None:
        typed.append(event.payload["n"])

    bus.subscribe(EventType.HEALING_CASE_OPENED, on_case)
    bus.subscribe(None, lambda event: everything.append(event.payload["n"]))
    publisher = EventPublisher(bus, "tests")
    await publisher.publish(EventType.HEALING_CASE_OPENED, {"n": "a"})
    await publisher.publish(EventType.HEALING_PR_OPENED, {"n": "b"})
    await publisher.publish(EventType.HEALING_CASE_OPENED, {"n": "c"})
    await bus.stop()

    assert typed == ["a", "c"]
    assert everything == ["a", "b", "c"]


async def test_a_failing_handler_does_not_stop_the_others() -> None:
    bus = EventBus()
    seen: list[str] = []

    def broken(event: Event) -> None:
        raise RuntimeError("handler bug")

    bus.subscribe("t", broken)
    bus.subscribe("t", lambda event: seen.append("ok"))
    await bus.start()
    await EventPublisher(bus, "tests").publish("t")
    await bus.stop()

    assert seen == ["ok"]
    assert not bus.running


async def test_unsubscribed_handler_gets_nothing_more() -> None:
    bus = EventBus()
    seen: list[str] = []

    def handler(event: Event) -> None:
        seen.append(event.type)

    bus.subscribe("t", handler)
    await bus.publish(Event(type="t", source="s"))
    bus.unsubscribe("t", handler)
    await bus.publish(Event(type="t", source="s"))

    assert seen == ["t"]


def test_caused_event_carries_correlation_and_causation() -> None:
    root = Event(type="github.issue_comment.created", source="github")
    child = root.caused(EventType.HEALING_CASE_OPENED, "healing", {"case": "c1"})
    grandchild = child.caused(EventType.HEALING_PR_OPENED, "healing", {})

    assert child.metadata.causation_id == root.id
    assert child.metadata.correlation_id == root.id
    assert grandchild.metadata.causation_id == child.id
    assert grandchild.metadata.correlation_id == root.id
