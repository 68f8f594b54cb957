"""An EVENT_HANDLER_HOOKS hook for the broker fault test: a push handler that takes a while and
writes one line per finished run to the file named by KINTSUGI_TEST_RUNS_FILE."""

from __future__ import annotations

import asyncio
import os

from app.events.model import Event
from app.events.store import EventStore
from app.settings import Settings
from workers.jobs import Router

RUNS_FILE = "KINTSUGI_TEST_RUNS_FILE"
HANDLER_SECONDS = 0.1


def register(router: Router, settings: Settings, store: EventStore) -> None:
    path = os.environ[RUNS_FILE]

    async def record_run(event: Event) -> None:
        await asyncio.sleep(HANDLER_SECONDS)  # long enough to be caught running by a SIGKILL
        # One short O_APPEND write per run: lines from concurrent jobs never interleave.
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, f"{event.id} {os.getpid()}\n".encode())
        finally:
            os.close(fd)

    router.on("github.push", record_run)
