"""How the app is served: uvicorn, with a deadline for a request's headers and no connection
kept open for a body nobody reads any more. `BodyGuard` (app/api/bodies.py) bounds the body."""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from app.settings import Settings

_TIMED_OUT = b"the request headers did not arrive in time"


def header_deadline_protocol(timeout_seconds: float) -> type[HttpToolsProtocol]:
    """uvicorn's HTTP protocol, closing a connection whose request headers take longer than
    `timeout_seconds` (uvicorn's own keep-alive timer covers only the time between requests)."""

    class HeaderDeadlineProtocol(HttpToolsProtocol):
        _headers_timer: asyncio.TimerHandle | None = None
        _body_pending = False

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            self._disarm()
            super().connection_lost(exc)

        def on_message_begin(self) -> None:
            super().on_message_begin()
            if self._headers_timer is None:
                self._arm()

        def on_headers_complete(self) -> None:
            self._disarm()
            self._body_pending = True
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            self._body_pending = False
            super().on_message_complete()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            # Answered before its body was all in (a refusal, a route that reads no body):
            # the rest would only be read and dropped, for as long as a slow client likes.
            if self._body_pending and self.cycle.response_complete:
                self.transport.close()

        def _arm(self) -> None:
            self._headers_timer = self.loop.call_later(timeout_seconds, self._headers_late)

        def _disarm(self) -> None:
            if self._headers_timer is not None:
                self._headers_timer.cancel()
                self._headers_timer = None

        def _headers_late(self) -> None:
            self._headers_timer = None
            if self.transport.is_closing():
                return
            if self.cycle is None or self.cycle.response_complete:
                self.transport.write(
                    b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain; charset=utf-8\r\n"
                    b"content-length: %d\r\nconnection: close\r\n\r\n%s"
                    % (len(_TIMED_OUT), _TIMED_OUT)
                )
            self.transport.close()

    return HeaderDeadlineProtocol


def server_config(app: Any, settings: Settings, **options: Any) -> uvicorn.Config:
    """The uvicorn configuration `kintsugi serve` (and the tests' live server) runs with."""
    return uvicorn.Config(
        app,
        http=header_deadline_protocol(settings.http_header_timeout_seconds),
        log_config=None,
        access_log=False,
        **options,
    )
