"""The egress proxy tunnels only to allowed hosts and refuses, and records, everything else."""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from app.environments.egress import EgressProxy


@pytest.fixture
async def upstream() -> AsyncIterator[tuple[int, list[bytes]]]:
    """A host-side TCP service that records what reaches it and answers `pong`."""
    seen: list[bytes] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.append(await reader.read(100))
        writer.write(b"pong")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1], seen
    server.close()
    await server.wait_closed()


async def _ask(socket_path: Path, head: bytes, body: bytes = b"") -> bytes:
    reader, writer = await asyncio.open_unix_connection(str(socket_path))
    writer.write(head)
    await writer.drain()
    answer = await reader.readuntil(b"\r\n\r\n")
    if body and answer.startswith(b"HTTP/1.1 200"):
        writer.write(body)
        await writer.drain()
        answer += await reader.read(100)
    writer.close()
    return answer


async def test_connect_to_an_allowed_host_is_tunnelled(upstream: tuple[int, list[bytes]]) -> None:
    port, seen = upstream
    with tempfile.TemporaryDirectory() as private:
        path = Path(private) / "proxy.sock"
        async with EgressProxy(path, frozenset({("127.0.0.1", port)})) as proxy:
            answer = await _ask(
                path, f"CONNECT 127.0.0.1:{port} HTTP/1.1\r\n\r\n".encode(), b"ping"
            )
    assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b"pong")
    assert seen == [b"ping"]
    assert proxy.tunnels == [f"127.0.0.1:{port}"] and proxy.refused == []


async def test_loopback_and_other_hosts_are_refused(upstream: tuple[int, list[bytes]]) -> None:
    port, seen = upstream
    with tempfile.TemporaryDirectory() as private:
        path = Path(private) / "proxy.sock"
        async with EgressProxy(path, frozenset({("pypi.org", 443)})) as proxy:
            loopback = await _ask(path, f"CONNECT 127.0.0.1:{port} HTTP/1.1\r\n\r\n".encode())
            redis = await _ask(path, b"CONNECT localhost:6379 HTTP/1.1\r\n\r\n")
            other_port = await _ask(path, b"CONNECT pypi.org:22 HTTP/1.1\r\n\r\n")
            plain = await _ask(path, f"GET http://127.0.0.1:{port}/ HTTP/1.1\r\n\r\n".encode())
    for answer in (loopback, redis, other_port, plain):
        assert answer.startswith(b"HTTP/1.1 403")
    assert seen == []
    assert proxy.refused == [
        f"CONNECT 127.0.0.1:{port}",
        "CONNECT localhost:6379",
        "CONNECT pypi.org:22",
        f"GET http://127.0.0.1:{port}/",
    ]
    assert not path.exists()


async def test_plain_get_reaches_only_an_allowed_http_index(
    upstream: tuple[int, list[bytes]],
) -> None:
    port, seen = upstream
    with tempfile.TemporaryDirectory() as private:
        path = Path(private) / "proxy.sock"
        async with EgressProxy(path, frozenset(), frozenset({("127.0.0.1", port)})):
            reader, writer = await asyncio.open_unix_connection(str(path))
            writer.write(f"GET http://127.0.0.1:{port}/simple/six/ HTTP/1.1\r\n\r\n".encode())
            await writer.drain()
            answer = await reader.read(100)
            writer.close()
    assert answer == b"pong"
    assert seen[0].startswith(b"GET /simple/six/ HTTP/1.1\r\n")
