"""A Celery worker on the benchmark's Redis running the same no-op job as the arq probe: record
`<token> <time.time()>` on the Redis list BENCH_STARTS_KEY, first thing.

    python bench/_celery_probe.py prefork|solo
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

import redis
from celery import Celery
from celery.signals import worker_ready

TASK = "bench.record_start"
QUEUE = "kintsugi-bench:celery"
READY = "celery worker ready"


def celery_app(broker_url: str, starts_key: str) -> Celery:
    app = Celery("kintsugi_bench", broker=broker_url)
    app.conf.update(
        task_default_queue=QUEUE,
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
    )
    client = redis.Redis.from_url(broker_url)

    @app.task(name=TASK)  # type: ignore[untyped-decorator]  # Celery is untyped
    def record_start(token: str) -> None:
        started = time.time()
        client.rpush(starts_key, f"{token} {started!r}")

    return app


def _announce(**_: Any) -> None:
    print(READY, flush=True)


if __name__ == "__main__":
    pool = sys.argv[1] if len(sys.argv) > 1 else "prefork"
    worker_ready.connect(_announce)
    app = celery_app(os.environ["REDIS_URL"], os.environ["BENCH_STARTS_KEY"])
    app.worker_main(
        ["worker", f"--pool={pool}", "--concurrency=1", "--loglevel=WARNING", f"--queues={QUEUE}"]
    )
