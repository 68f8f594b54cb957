"""The host side of a build's network: an HTTP proxy on a unix socket that reaches only the index.

A build runs in the sandbox's own network namespace, which has nothing but its own loopback; the
one way out is this socket. `CONNECT host:443` is tunnelled only to allowed (host, port) pairs,
a plain `GET http://host/...` is forwarded only to an allowed http index, and everything else
(loopback, Redis, PostgreSQL, any other host) is answered 403 and recorded in `refused`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit

log = logging.getLogger(__name__)

_HEAD_LIMIT = 16 * 1024
_HEAD_SECONDS = 30.0
_CONNECT_SECONDS = 30.0


class EgressProxy:
    """Serves one build: `async with EgressProxy(path, allowed, plain)` listens at `path`."""

    def __init__(
        self,
        socket_path: Path,
        allowed_tls: frozenset[tuple[str, int]],
        allowed_plain: frozenset[tuple[str, int]] = frozenset(),
    ) -> None:
        self.socket_path = socket_path
        self.allowed_tls = allowed_tls
        self.allowed_plain = allowed_plain
        self.refused: list[str] = []
        self.tunnels: list[str] = []
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> EgressProxy:
        self._server = await asyncio.start_unix_server(self._serve, path=str(self.socket_path))
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._server is not None:
            await self._server.wait_closed()
        self.socket_path.unlink(missing_ok=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            await self._handle(reader, writer)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, TimeoutError):
            pass
        finally:
            self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(OSError, asyncio.CancelledError):
                await writer.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), _HEAD_SECONDS)
        if len(head) > _HEAD_LIMIT:
            await _answer(writer, 431, "request head too large")
            return
        request_line, _, rest = head.decode("latin-1").partition("\r\n")
        method, _, remainder = request_line.partition(" ")
        target = remainder.rpartition(" ")[0]
        if method == "CONNECT":
            host, port = _host_port(target, default_port=443)
            if (host, port) not in self.allowed_tls:
                await self._refuse(writer, f"CONNECT {host}:{port}")
                return
            upstream = await self._open(host, port, writer)
            if upstream is None:
                return
            self.tunnels.append(f"{host}:{port}")
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await writer.drain()
            await _pipe_both(reader, writer, *upstream)
            return
        parts = urlsplit(target)
        host = (parts.hostname or "").lower()
        port = parts.port or 80
        if (
            method not in ("GET", "HEAD")
            or parts.scheme != "http"
            or ((host, port) not in self.allowed_plain)
        ):
            await self._refuse(writer, f"{method} {target}")
            return
        upstream = await self._open(host, port, writer)
        if upstream is None:
            return
        path = parts.path or "/"
        if parts.query:
            path += f"?{parts.query}"
        headers = [line for line in rest.split("\r\n") if line and not _hop_by_hop(line)]
        forwarded = "\r\n".join([f"{method} {path} HTTP/1.1", *headers, "Connection: close"])
        upstream[1].write(forwarded.encode("latin-1") + b"\r\n\r\n")
        await _pipe_both(reader, writer, *upstream)

    async def _refuse(self, writer: asyncio.StreamWriter, what: str) -> None:
        self.refused.append(what)
        log.warning("environment build egress refused", extra={"egress_request": what})
        await _answer(writer, 403, "only the package index may be reached")

    async def _open(
        self, host: str, port: int, writer: asyncio.StreamWriter
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        try:
            return await asyncio.wait_for(asyncio.open_connection(host, port), _CONNECT_SECONDS)
        except (OSError, TimeoutError) as error:
            await _answer(writer, 502, f"cannot reach {host}:{port}: {error}")
            return None


def _host_port(target: str, *, default_port: int) -> tuple[str, int]:
    host, _, port = target.rpartition(":")
    if not host:
        return target.lower().strip("[]"), default_port
    try:
        return host.lower().strip("[]"), int(port)
    except ValueError:
        return target.lower(), -1


def _hop_by_hop(line: str) -> bool:
    name = line.partition(":")[0].strip().lower()
    return name in {"connection", "proxy-connection", "keep-alive", "proxy-authorization"}


async def _answer(writer: asyncio.StreamWriter, status: int, reason: str) -> None:
    body = f"{reason}\n".encode()
    writer.write(
        f"HTTP/1.1 {status} {reason}\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n".encode()
        + body
    )
    with contextlib.suppress(OSError):
        await writer.drain()


async def _pipe_both(
    client_reader: asyncio.StreamReader,
    client_writer: asyncio.StreamWriter,
    upstream_reader: asyncio.StreamReader,
    upstream_writer: asyncio.StreamWriter,
) -> None:
    try:
        await asyncio.gather(
            _pipe(client_reader, upstream_writer), _pipe(upstream_reader, client_writer)
        )
    finally:
        upstream_writer.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while chunk := await reader.read(64 * 1024):
            writer.write(chunk)
            await writer.drain()
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            if writer.can_write_eof():
                writer.write_eof()
