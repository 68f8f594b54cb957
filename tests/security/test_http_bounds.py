"""Unauthenticated clients against `kintsugi serve` over real sockets: a request whose headers
or body never finish is answered and closed at its deadline, and unsigned bodies, however many
arrive at once, never hold more of the server's memory than the budget."""

from __future__ import annotations

import re
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from app.ingest.signatures import github_signature
from tests.api.conftest import GITHUB_SECRET, SENTRY_SECRET
from tests.cli.test_server_cli import KINTSUGI, cli_env, free_port

pytestmark = pytest.mark.slow

HEADER_SECONDS = 1.0
BODY_SECONDS = 3.0
MB = 1024 * 1024
BUDGET = 64 * MB
BIG = 25 * MB


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rss(self) -> int:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
        assert match is not None
        return int(match[1]) * 1024

    def metric(self, name: str) -> float:
        text = httpx.get(f"{self.url}/metrics", timeout=10).text
        match = re.search(rf"^{name} (\S+)$", text, re.MULTILINE)
        return float(match[1]) if match else 0.0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("serve")
    port = free_port()
    env = cli_env(
        root,
        GITHUB_WEBHOOK_SECRET=GITHUB_SECRET,
        SENTRY_WEBHOOK_SECRET=SENTRY_SECRET,
        LOG_LEVEL="WARNING",
        HTTP_HEADER_TIMEOUT_SECONDS=str(HEADER_SECONDS),
        HTTP_BODY_TIMEOUT_SECONDS=str(BODY_SECONDS),
        HTTP_UNAUTHENTICATED_BODY_BYTES=str(BUDGET),
        MAX_WEBHOOK_BYTES=str(BIG),
    )
    process = subprocess.Popen(
        [*KINTSUGI, "serve", "--port", str(port)],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    served = Served(process, port)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, "kintsugi serve exited"
            try:
                if httpx.get(f"{served.url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "kintsugi serve did not start"
            time.sleep(0.2)
        yield served
    finally:
        process.terminate()
        process.wait(15)


def webhook_head(length: int | None, *, signed_body: bytes | None = None) -> bytes:
    lines = [
        "POST /webhooks/github HTTP/1.1",
        "Host: kintsugi.test",
        "X-GitHub-Event: push",
        "Content-Type: application/json",
        f"X-Hub-Signature-256: {github_signature(b'not the secret', b'{}')}",
        f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def trickle(sock: socket.socket, data: bytes, pause: float = 0.2) -> None:
    """Send `data` a byte every `pause` seconds from a thread, until the server hangs up."""

    def send() -> None:
        for byte in data:
            try:
                sock.send(bytes([byte]))
            except OSError:
                return
            time.sleep(pause)

    threading.Thread(target=send, daemon=True).start()


def closed_after(sock: socket.socket, limit: float) -> tuple[float, bytes]:
    """Seconds until the server closed `sock` (at most `limit`), and what it answered."""
    started = time.monotonic()
    sock.settimeout(limit)
    answer = b""
    try:
        while chunk := sock.recv(65536):
            answer += chunk
    except TimeoutError:
        return float("inf"), answer
    except ConnectionResetError:
        pass
    return time.monotonic() - started, answer


def test_a_client_that_never_finishes_its_headers_is_closed_at_the_header_deadline(
    server: Served,
) -> None:
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(b"POST /webhooks/github HTTP/1.1\r\nHost: kintsugi.test\r\nX-GitHub-")
        seconds, answer = closed_after(sock, HEADER_SECONDS * 5)

    assert seconds <= HEADER_SECONDS + 1.5, "the connection stayed open"
    assert answer.startswith(b"HTTP/1.1 408 ")


def test_a_silent_connection_is_closed_at_the_header_deadline(server: Served) -> None:
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        seconds, _ = closed_after(sock, HEADER_SECONDS * 5)

    assert seconds <= HEADER_SECONDS + 1.5, "the connection stayed open"


def test_headers_sent_a_byte_at_a_time_do_not_outlast_the_deadline(server: Served) -> None:
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        trickle(sock, webhook_head(2))
        seconds, answer = closed_after(sock, HEADER_SECONDS * 5)

    assert seconds <= HEADER_SECONDS + 1.5, "the trickle kept the connection open"
    assert answer.startswith(b"HTTP/1.1 408 ")


def test_a_body_that_stops_halfway_is_answered_408_and_closed(server: Served) -> None:
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(webhook_head(10_000) + b'{"pad": "' + b"x" * 4000)
        seconds, answer = closed_after(sock, BODY_SECONDS * 4)

    assert seconds <= BODY_SECONDS + 1.5, "the connection stayed open"
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert b"did not arrive within 3 s" in answer and b"connection: close" in answer.lower()


def test_a_body_trickling_a_byte_at_a_time_is_cut_at_the_deadline(server: Served) -> None:
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(webhook_head(10_000))
        trickle(sock, b"x" * 10_000)
        seconds, answer = closed_after(sock, BODY_SECONDS * 4)

    assert seconds <= BODY_SECONDS + 1.5, "the trickle kept the connection open"
    assert answer.startswith(b"HTTP/1.1 408 ")


def test_a_declared_body_over_the_limit_is_refused_before_it_is_read(server: Served) -> None:
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(webhook_head(BIG + 1))
        seconds, answer = closed_after(sock, 5)

    assert seconds < 2 and answer.startswith(b"HTTP/1.1 413 ")


def hold(port: int, body: bytes, chunked: bool) -> tuple[bytes, socket.socket]:
    """Send an unsigned webhook but its last byte; what the server answered within a while
    (nothing while it is still reading, or holding, the body)."""
    sock = socket.create_connection(("127.0.0.1", port))
    payload = memoryview(body)[:-1]

    def send() -> None:
        try:
            sock.sendall(webhook_head(None if chunked else len(body)))
            if not chunked:
                sock.sendall(payload)
                return
            step = 256 * 1024
            for start in range(0, len(payload), step):
                part = payload[start : start + step]
                sock.sendall(b"%x\r\n" % len(part))
                sock.sendall(part)
                sock.sendall(b"\r\n")
        except OSError:
            return  # refused: the server closed the connection

    threading.Thread(target=send, daemon=True).start()
    sock.settimeout(BODY_SECONDS - 1)
    try:
        answer = sock.recv(4096)
    except (TimeoutError, ConnectionResetError):
        answer = b""
    return answer, sock


def held_open(server: Served, clients: int, chunked: bool) -> tuple[list[bytes], int, float]:
    """Ten clients at once; the answers, the server's RSS growth and the bytes its budget held
    while the admitted bodies were held open."""
    body = b'{"pad": "' + b"x" * (BIG - 12) + b'"}'
    before = server.rss()
    with ThreadPoolExecutor(clients) as pool:
        held = list(pool.map(lambda _: hold(server.port, body, chunked), range(clients)))
    rss = server.rss() - before
    in_budget = server.metric("kintsugi_http_unauthenticated_body_bytes")
    for _, sock in held:
        sock.close()
    return [answer for answer, _ in held], rss, in_budget


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_ten_unsigned_big_bodies_held_open_stay_within_the_budget(
    server: Served, chunked: bool
) -> None:
    answers, rss_growth, held = held_open(server, 10, chunked)

    busy = [answer for answer in answers if answer.startswith(b"HTTP/1.1 503 ")]
    assert len(busy) >= 7, answers  # at most two 25 MB bodies fit in 64 MB
    assert all(b"retry-after: 3" in answer.lower() for answer in busy)
    assert 0 < held <= BUDGET
    # The server's memory grew by about what the budget holds, not by ten bodies (250 MB).
    assert rss_growth < BUDGET + 40 * MB, f"RSS grew by {rss_growth / MB:.0f} MB"

    # Once the held bodies are gone, the budget is free again for a signed webhook.
    deadline = time.monotonic() + BODY_SECONDS + 5
    while server.metric("kintsugi_http_unauthenticated_body_bytes"):
        assert time.monotonic() < deadline, "the budget was never given back"
        time.sleep(0.2)
    body = b'{"zen": "held bodies gone"}'
    answer = httpx.post(
        f"{server.url}/webhooks/github",
        content=body,
        headers={
            "X-GitHub-Event": "ping",
            "X-GitHub-Delivery": f"held-{chunked}",
            "X-Hub-Signature-256": github_signature(GITHUB_SECRET.encode(), body),
        },
    )
    assert answer.status_code == 202, answer.text
