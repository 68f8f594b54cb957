"""Request bodies before their senders are authenticated: a deadline for the body to arrive, a
size cap, and one byte budget shared by every body being read, so slow or oversized unsigned
requests cannot hold the server's memory or connections."""

from __future__ import annotations

import asyncio
import logging
import math

from prometheus_client import Counter, Gauge
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import jsoncodec

log = logging.getLogger(__name__)

BODIES_REFUSED = Counter(
    "kintsugi_http_bodies_refused_total",
    "Request bodies refused before their senders were authenticated, by reason",
    ["reason"],
)
BODY_BYTES_HELD = Gauge(
    "kintsugi_http_unauthenticated_body_bytes",
    "Bytes of request bodies held before their senders were authenticated",
)
_SCOPE_KEY = "kintsugi.body"


class BodyBudget:
    """Bytes of unauthenticated bodies held at once, across every request of the app."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.held = 0
        self.peak = 0

    def free(self) -> int:
        return self.capacity - self.held

    def take(self, size: int) -> bool:
        """Hold `size` more bytes; False (and nothing held) when they do not fit."""
        if self.held + size > self.capacity:
            return False
        self.held += size
        self.peak = max(self.peak, self.held)
        BODY_BYTES_HELD.inc(size)
        return True

    def give_back(self, size: int) -> None:
        self.held -= size
        BODY_BYTES_HELD.dec(size)


class _BodyReading:
    """One request's body as it arrives: the bytes it holds of the budget, and its deadline."""

    def __init__(
        self, guard: BodyGuard, receive: Receive, deadline: float, retry_after: str
    ) -> None:
        self.guard = guard
        self.receive_message = receive
        self.deadline = deadline
        self.retry_after = retry_after
        self.received = 0
        self.held = 0
        self.authenticated = False
        self.done = False

    async def receive(self) -> Message:
        if self.done:
            return await self.receive_message()
        remaining = self.deadline - asyncio.get_running_loop().time()
        try:
            async with asyncio.timeout(max(remaining, 0.0)):
                message = await self.receive_message()
        except TimeoutError:
            seconds = self.guard.timeout_seconds
            raise self._refused(
                408, "slow", f"the request body did not arrive within {seconds:g} s"
            ) from None
        if message["type"] != "http.request":
            self.done = True
            return message
        size = len(message.get("body", b""))
        self.received += size
        if self.received > self.guard.max_bytes:
            raise self._refused(413, "large", f"request body over {self.guard.max_bytes} bytes")
        if not self.authenticated:
            if not self.guard.budget.take(size):
                raise self._refused(503, "budget", _BUSY, {"Retry-After": self.retry_after})
            self.held += size
        if not message.get("more_body", False):
            self.done = True
        return message

    def release(self) -> None:
        self.guard.budget.give_back(self.held)
        self.held = 0

    def _refused(
        self, status: int, reason: str, detail: str, headers: dict[str, str] | None = None
    ) -> HTTPException:
        self.release()
        self.done = True
        BODIES_REFUSED.labels(reason).inc()
        log.warning(
            "request body refused",
            extra={"status": status, "reason": reason, "bytes": self.received},
        )
        return HTTPException(status, detail, headers={"Connection": "close", **(headers or {})})


_BUSY = (
    "the server holds as many unauthenticated request bodies as it may; "
    "retry after the time in Retry-After"
)


class BodyGuard:
    """ASGI middleware: every request body must arrive within `timeout_seconds` of its headers,
    be at most `max_bytes`, and fit in `budget` until the route says its sender is
    authenticated (`body_authenticated`). Refusals close the connection: 413 for too large,
    408 for too slow, 503 with Retry-After when the budget is full."""

    def __init__(
        self, app: ASGIApp, *, budget: BodyBudget, max_bytes: int, timeout_seconds: float
    ) -> None:
        self.app = app
        self.budget = budget
        self.max_bytes = max_bytes
        self.timeout_seconds = timeout_seconds
        # By then every body being read now has arrived, or been refused and its bytes freed.
        self.retry_after = str(math.ceil(timeout_seconds))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            BODIES_REFUSED.labels("large").inc()
            await _answer(send, 413, f"request body over {self.max_bytes} bytes")
            return
        if declared is not None and declared > self.budget.free():
            BODIES_REFUSED.labels("budget").inc()
            await _answer(send, 503, _BUSY, {"Retry-After": self.retry_after})
            return
        deadline = asyncio.get_running_loop().time() + self.timeout_seconds
        reading = _BodyReading(self, receive, deadline, self.retry_after)
        scope[_SCOPE_KEY] = reading
        try:
            await self.app(scope, reading.receive, send)
        finally:
            reading.release()


def body_authenticated(request: Request) -> None:
    """The route has authenticated the sender: its body no longer counts against the budget."""
    reading = request.scope.get(_SCOPE_KEY)
    if isinstance(reading, _BodyReading):
        reading.release()
        reading.authenticated = True


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


async def _answer(
    send: Send, status: int, detail: str, headers: dict[str, str] | None = None
) -> None:
    body = jsoncodec.encode({"detail": detail})
    raw = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"connection", b"close"),
        *((name.lower().encode(), value.encode()) for name, value in (headers or {}).items()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": body})
