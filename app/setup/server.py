"""Serving the registration pages: alone (`kintsugi setup`, before any secret exists), or inside
`kintsugi serve`, which then restarts itself with the App it registered."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable

import uvicorn
from fastapi import FastAPI

from app.setup.routes import SetupContext
from app.setup.routes import router as setup_router
from app.setup.saving import SavedApp

STOP_DELAY_SECONDS = 1.0


def setup_app(context: SetupContext) -> FastAPI:
    """Only the registration pages: nothing here needs a database or webhook secrets."""
    app = FastAPI(title="Kintsugi setup", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.setup = context
    app.include_router(setup_router)
    return app


def local_url(host: str, port: int) -> str:
    # A wildcard address is where the server listens, not one a browser can open.
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    return f"http://{shown}:{port}"


def announce(context: SetupContext, urls: list[str]) -> None:
    """Print the setup link(s): the token in them is what lets a browser register the App."""
    print("kintsugi: no GitHub App is configured. To register one, open", file=sys.stderr)
    for url in dict.fromkeys(urls):
        print(f"    {context.page_url(url)}", file=sys.stderr)
    print(
        "  in a browser signed in to GitHub (GitHub redirects that browser back to the same "
        "address).",
        file=sys.stderr,
    )


def stop_when_registered(context: SetupContext, server: uvicorn.Server) -> None:
    """Stop `server` shortly after the registration's answer, once the browser has had time to
    fetch the page's stylesheet too."""
    previous: Callable[[SavedApp], None] | None = context.on_registered

    def stop(saved: SavedApp) -> None:
        if previous is not None:
            previous(saved)
        asyncio.get_running_loop().call_later(STOP_DELAY_SECONDS, _exit, server)

    context.on_registered = stop


def _exit(server: uvicorn.Server) -> None:
    server.should_exit = True
