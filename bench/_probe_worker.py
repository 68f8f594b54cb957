"""An arq worker for the latency benchmark: Kintsugi's own worker, whose router's only handler
records when it starts, plus a bare arq job that does the same.

Both write `<token> <time.time()>` onto the Redis list named by BENCH_STARTS_KEY, first thing.
Settings come from the environment like `kintsugi worker` (REDIS_URL, DATABASE_URL, QUEUE_NAME,
WORKER_POLL_SECONDS). Prints `probe worker ready` once it takes jobs.

    python bench/_probe_worker.py
"""

from __future__ import annotations

import os
import time
from typing import Any

from arq.connections import ArqRedis
from arq.worker import Worker, func

from app.events.model import Event
from app.settings import get_settings
from workers.arq_worker import WakeableWorker, worker_options
from workers.jobs import Router

READY = "probe worker ready"


class StartRecorder:
    """Pushes the moment a handler or job starts onto a Redis list."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.redis: ArqRedis | None = None

    async def record(self, token: str) -> None:
        started = time.time()
        assert self.redis is not None, "recorder used before the worker started"
        await self.redis.rpush(self.key, f"{token} {started!r}")  # type: ignore[misc]  # redis-py's async/sync union

    async def handler_started(self, event: Event) -> None:
        await self.record(str(event.id))


def build_probe_worker(recorder: StartRecorder) -> Worker:
    router = Router()
    router.on("*", recorder.handler_started)
    options = worker_options(get_settings(), router=router)
    kintsugi_startup = options["on_startup"]

    async def startup(ctx: dict[str, Any]) -> None:
        await kintsugi_startup(ctx)
        recorder.redis = ctx["redis"]
        print(READY, flush=True)

    async def probe_job(ctx: dict[str, Any], token: str) -> None:
        await recorder.record(token)

    return WakeableWorker(
        **{
            **options,
            "functions": [*options["functions"], func(probe_job, name="probe_job")],
            "on_startup": startup,
            "keep_result": 0,
        }
    )


if __name__ == "__main__":
    build_probe_worker(StartRecorder(os.environ["BENCH_STARTS_KEY"])).run()
