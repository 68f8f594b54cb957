"""The app on a real uvicorn server on a loopback port, for browsers and HTTP clients."""

from __future__ import annotations

import asyncio
import socket
import threading
import uuid
from typing import Any

import httpx
import uvicorn

from app.api.serving import server_config
from app.ingest.signatures import github_signature
from app.main import create_app
from app.services import open_services
from app.settings import Settings
from app.setup.routes import SetupContext
from tests.api.conftest import GITHUB_SECRET
from workers.jobs import Router


class LiveServer:
    """The app on uvicorn, on a free 127.0.0.1 port, in a thread with its own event loop."""

    def __init__(
        self, settings: Settings, router: Router, setup: SetupContext | None = None
    ) -> None:
        self.settings = settings
        self.setup = setup
        self.router = router
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"
        self.ready = threading.Event()
        self.server: uvicorn.Server | None = None
        self.thread = threading.Thread(target=asyncio.run, args=(self._serve(),), daemon=True)

    async def _serve(self) -> None:
        services = await open_services(self.settings, router=self.router)
        app = create_app(self.settings, services=services, setup=self.setup)
        config = server_config(app, self.settings, log_level="warning", lifespan="off")
        self.server = uvicorn.Server(config)
        original_startup = self.server.startup

        async def startup(sockets: Any = None) -> None:
            await original_startup(sockets=sockets)
            self.ready.set()

        self.server.startup = startup  # type: ignore[method-assign]
        try:
            await self.server.serve(sockets=[self.socket])
        finally:
            await services.close()

    def __enter__(self) -> LiveServer:
        self.thread.start()
        assert self.ready.wait(15), "uvicorn did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.should_exit = True
        self.thread.join(15)

    def github_webhook(self, event: str, payload: bytes) -> str:
        response = httpx.post(
            f"{self.url}/webhooks/github",
            content=payload,
            headers={
                "X-GitHub-Event": event,
                "X-GitHub-Delivery": str(uuid.uuid4()),
                "X-Hub-Signature-256": github_signature(GITHUB_SECRET.encode(), payload),
                "Content-Type": "application/json",
            },
        )
        assert response.status_code == 202, response.text
        return str(response.json()["event_id"])
