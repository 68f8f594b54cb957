"""Benchmark: invocation overhead of a no-op function, p50/p99, in one run.

Three ways to run the same no-op (`return {}`):
  * in-process — the app's own registered callable (the floor);
  * sandboxed cold — a repository's function on a fresh sandboxed worker (bubblewrap + interpreter
    start-up paid by the call);
  * sandboxed warm — the same function on an already running worker of the warm pool.
Times are the caller's wall time around `await ServerlessRuntime.invoke(...)`.
Targets: warm <= 5 ms p50, cold <= 150 ms p50.

    .venv/bin/python bench/bench_functions.py [--in-process 2000] [--cold 40] [--warm 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from functions import FunctionContext, ServerlessRuntime
from functions.metrics import percentile
from functions.sandbox import Sandbox

REPOSITORY = "bench/noop"
CONFIG = "functions:\n  noop:\n    file: noop.py\n"
TARGETS_MS = {"sandboxed cold": 150.0, "sandboxed warm": 5.0}


async def noop(context: FunctionContext, event: dict[str, object]) -> dict[str, object]:
    return {}


async def measure(count: int, call: Callable[[], Awaitable[int]]) -> list[float]:
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        status = await call()
        timings.append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise SystemExit(f"the no-op function answered {status}")
    return timings


async def main(in_process_count: int, cold_count: int, warm_count: int) -> None:
    sandbox = Sandbox()
    rows: list[tuple[str, list[float]]] = []

    runtime = ServerlessRuntime()
    runtime.register("noop", noop)

    async def in_process() -> int:
        return (await runtime.invoke("noop", event={})).status_code

    await measure(50, in_process)  # warm up the event loop and imports
    rows.append(("in-process", await measure(in_process_count, in_process)))

    with tempfile.TemporaryDirectory(prefix="kintsugi-bench-") as folder:
        checkout = Path(folder)
        (checkout / ".github").mkdir()
        (checkout / ".github" / "kintsugi.yml").write_text(CONFIG)
        (checkout / "noop.py").write_text("def handle(event, context):\n    return {}\n")

        cold_runtime = ServerlessRuntime(sandbox=sandbox, keep_warm=0)
        cold_runtime.load_repository(checkout, REPOSITORY)

        async def cold() -> int:
            response = await cold_runtime.invoke("noop", event={}, repository=REPOSITORY)
            assert response.start == "cold"
            return response.status_code

        rows.append(("sandboxed cold", await measure(cold_count, cold)))
        await cold_runtime.close()

        warm_runtime = ServerlessRuntime(sandbox=sandbox, keep_warm=1)
        warm_runtime.load_repository(checkout, REPOSITORY)
        await warm_runtime.prewarm("noop", REPOSITORY)

        async def warm() -> int:
            response = await warm_runtime.invoke("noop", event={}, repository=REPOSITORY)
            assert response.start == "warm"
            return response.status_code

        rows.append(("sandboxed warm", await measure(warm_count, warm)))
        await warm_runtime.close()

    print(f"sandbox mode: {sandbox.mode}")
    print(f"{'path':<16} {'n':>6} {'p50 ms':>9} {'p99 ms':>9} {'target p50':>11}  met")
    for name, timings in rows:
        p50, p99 = percentile(timings, 0.5), percentile(timings, 0.99)
        target = TARGETS_MS.get(name)
        verdict = "-" if target is None else ("yes" if p50 <= target else "NO")
        target_text = "-" if target is None else f"<= {target:g}"
        print(f"{name:<16} {len(timings):>6} {p50:>9.3f} {p99:>9.3f} {target_text:>11}  {verdict}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--in-process", type=int, default=2000)
    parser.add_argument("--cold", type=int, default=40)
    parser.add_argument("--warm", type=int, default=1000)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.in_process, arguments.cold, arguments.warm))
