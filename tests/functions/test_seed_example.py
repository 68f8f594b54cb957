"""The seed design's serverless example, run as written apart from its import lines."""

from __future__ import annotations

import pytest

from functions import FunctionContext, ServerlessRuntime, edge_function


async def test_seed_serverless_example_runs_as_written(capsys: pytest.CaptureFixture[str]) -> None:
    # create the runtime
    runtime = ServerlessRuntime()

    # define a function
    @edge_function(region="us-east-1", timeout=10)
    async def my_function(context: FunctionContext, event: dict):  # type: ignore[no-untyped-def, type-arg]
        # your logic
        return {"status": "success", "data": event.get("data")}

    # register the function
    runtime.register("my-function", my_function)

    # invoke
    response = await runtime.invoke("my-function", event={"data": "test"})

    print(f"Status: {response.status_code}")
    print(f"Body: {response.body}")
    print(f"Execution time: {response.execution_time_ms}ms")

    # metrics
    metrics = runtime.get_metrics("my-function")
    print(f"Total invocations: {len(metrics)}")

    printed = capsys.readouterr().out
    assert "Status: 200" in printed
    assert "Body: {'status': 'success', 'data': 'test'}" in printed
    assert "Total invocations: 1" in printed
    assert response.execution_time_ms > 0
    assert metrics[0].region == "us-east-1"
