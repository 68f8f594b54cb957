"""Runs inside the build sandbox: relays 127.0.0.1 to the egress socket, then runs each step.

Started with `python -I -S -c <this file> SOCKET PLAN` (stdlib only, nothing of the repository on
sys.path). The sandbox's network namespace has only its own loopback, so the build's tools reach
the package index through `HTTPS_PROXY=http://127.0.0.1:<port>`, which this relays to the host's
allow-list proxy on the bound unix socket. Steps run in order; the first failure ends the build
with exit code 3 after a line naming the step.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import threading


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while chunk := await reader.read(65536):
            writer.write(chunk)
            await writer.drain()
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            writer.write_eof()


async def _relay(
    socket_path: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
) -> None:
    try:
        up_reader, up_writer = await asyncio.open_unix_connection(socket_path)
    except OSError:
        writer.close()
        return
    await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
    writer.close()
    up_writer.close()


def _serve(listener: socket.socket, socket_path: str) -> None:
    # One thread and one event loop for every connection: the build's tools may spawn threads
    # up to the process limit, so a thread per connection could fail to start.
    async def serve() -> None:
        server = await asyncio.start_server(
            lambda r, w: _relay(socket_path, r, w), sock=listener, limit=65536
        )
        await server.serve_forever()

    asyncio.run(serve())


def main(argv: list[str]) -> int:
    socket_path, plan_path = argv[1], argv[2]
    with open(plan_path, encoding="utf-8") as handle:
        plan = json.load(handle)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    proxy = f"http://127.0.0.1:{listener.getsockname()[1]}"
    threading.Thread(target=_serve, args=(listener, socket_path), daemon=True).start()
    base = dict(os.environ)
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "ALL_PROXY", "https_proxy", "http_proxy"):
        base[name] = proxy
    base.pop("NO_PROXY", None)
    base.pop("no_proxy", None)
    for number, step in enumerate(plan["steps"], start=1):
        print(f"::step {number}: {step['name']}", flush=True)
        env = {**base, **step.get("env", {})}
        try:
            done = subprocess.run(step["argv"], cwd=step["cwd"], env=env, check=False)
        except OSError as error:
            print(f"::failed step {number} ({step['name']}): {error}", file=sys.stderr, flush=True)
            return 3
        if done.returncode != 0:
            print(
                f"::failed step {number} ({step['name']}): exit code {done.returncode}",
                file=sys.stderr,
                flush=True,
            )
            return 3
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
