"""Invoking the app's own functions in-process: status codes, context, metrics and events."""

from __future__ import annotations

import asyncio
from typing import Any

from prometheus_client import CollectorRegistry

from app.events.model import Event, EventType
from functions import FunctionContext, ServerlessRuntime, edge_function, register_metrics


async def echo(context: FunctionContext, event: dict[str, Any]) -> dict[str, Any]:
    context.logger.info("echo for %s", event.get("who"))
    return {"who": event.get("who"), "left_ms": context.remaining_time_ms()}


async def test_status_codes_for_each_way_an_invocation_ends() -> None:
    runtime = ServerlessRuntime(max_result_bytes=1_000)

    @edge_function(timeout=0.05)
    async def sleepy(context: FunctionContext, event: dict[str, Any]) -> None:
        await asyncio.sleep(1)

    def broken(context: FunctionContext, event: dict[str, Any]) -> None:
        raise RuntimeError("boom")

    runtime.register("echo", echo)
    runtime.register("sleepy", sleepy)
    runtime.register("broken", broken)
    runtime.register("huge", lambda context, event: {"blob": "x" * 5_000})
    runtime.register("not-json", lambda context, event: {"when": object()})

    statuses = {
        "ok": (await runtime.invoke("echo", event={"who": "ada"})).status_code,
        "bad event": (await runtime.invoke("echo", event=["not", "an", "object"])).status_code,
        "unknown": (await runtime.invoke("missing", event={})).status_code,
        "timeout": (await runtime.invoke("sleepy", event={})).status_code,
        "too large": (await runtime.invoke("huge", event={})).status_code,
        "error": (await runtime.invoke("broken", event={})).status_code,
        "not json": (await runtime.invoke("not-json", event={})).status_code,
    }
    assert statuses == {
        "ok": 200,
        "bad event": 400,
        "unknown": 404,
        "timeout": 408,
        "too large": 413,
        "error": 500,
        "not json": 500,
    }


async def test_context_logs_and_deadline_reach_the_response() -> None:
    runtime = ServerlessRuntime()
    runtime.register("echo", echo, timeout=2)
    response = await runtime.invoke("echo", event={"who": "ada"})
    assert response.body["who"] == "ada"
    assert 0 < response.body["left_ms"] <= 2_000
    assert response.logs == ("INFO echo for ada",)
    assert response.start == "in-process"


async def test_the_function_cannot_change_the_callers_event() -> None:
    runtime = ServerlessRuntime()
    runtime.register("mutate", lambda context, event: event.update(x=1))
    event: dict[str, Any] = {"y": 2}
    await runtime.invoke("mutate", event=event)
    assert event == {"y": 2}


async def test_returned_actions_are_validated() -> None:
    runtime = ServerlessRuntime()
    runtime.register("labels", lambda c, e: {"actions": {"labels": ["bug"], "comment": "Hi"}})
    runtime.register("bad", lambda c, e: {"actions": {"merge": True}})
    good = await runtime.invoke("labels", event={})
    assert good.actions is not None and good.actions.labels == ("bug",)
    assert good.actions.comment == "Hi"
    bad = await runtime.invoke("bad", event={})
    assert bad.status_code == 500 and "invalid actions" in (bad.error or "")


async def test_every_invocation_is_recorded_aggregated_and_emitted_as_an_event() -> None:
    emitted: list[Event] = []

    async def sink(event: Event) -> None:
        emitted.append(event)

    runtime = ServerlessRuntime(on_invoked=sink)
    runtime.register("echo", echo)
    runtime.register("broken", lambda c, e: 1 / 0)
    for _ in range(3):
        await runtime.invoke("echo", event={})
    await runtime.invoke("broken", event={})

    assert len(runtime.get_metrics("echo")) == 3
    stats = runtime.get_stats("echo")
    assert (stats.invocations, stats.errors, stats.timeouts) == (3, 0, 0)
    assert 0 < stats.p50_ms <= stats.p99_ms
    assert runtime.get_stats("broken").errors == 1
    assert [event.type for event in emitted] == [EventType.FUNCTION_INVOKED] * 4
    assert emitted[-1].payload["status_code"] == 500
    assert emitted[-1].payload["function"] == "broken"


async def test_a_failing_event_sink_does_not_fail_the_invocation() -> None:
    async def sink(event: Event) -> None:
        raise ConnectionError("store down")

    runtime = ServerlessRuntime(on_invoked=sink)
    runtime.register("echo", echo)
    assert (await runtime.invoke("echo", event={})).status_code == 200


async def test_metrics_are_exposed_for_prometheus() -> None:
    runtime = ServerlessRuntime()
    runtime.register("echo", echo)
    await runtime.invoke("echo", event={})
    await runtime.invoke("echo", event=[])
    registry = CollectorRegistry()
    register_metrics(runtime.invocations, registry)
    labels = {"repository": "", "function": "echo", "start": "in-process"}
    ok = registry.get_sample_value(
        "kintsugi_function_invocations_total", {**labels, "status": "200"}
    )
    bad = registry.get_sample_value(
        "kintsugi_function_invocations_total", {**labels, "status": "400"}
    )
    assert (ok, bad) == (1.0, 1.0)
    p50 = registry.get_sample_value(
        "kintsugi_function_duration_p50_ms", {"repository": "", "function": "echo"}
    )
    assert p50 is not None and p50 > 0
