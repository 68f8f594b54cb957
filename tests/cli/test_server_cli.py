"""The `kintsugi` command line, run as a real process against a real database."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from app.database import create_engine, head_revision, upgrade
from app.events import Event, OutboxStatus, SqlEventStore
from app.ingest.signatures import github_signature
from tests.conftest import run_aside

KINTSUGI = [sys.executable, "-m", "app.cli"]


def cli_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_SECRET")}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    return {**env, "DATA_DIR": str(tmp_path / "data"), "LOG_JSON": "false", **extra}


def kintsugi(tmp_path: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*KINTSUGI, *args],
        cwd=tmp_path,
        env=cli_env(tmp_path, **extra),
        capture_output=True,
        text=True,
        timeout=60,
    )


async def seeded(tmp_path: Path) -> list[Event]:
    engine = create_engine(f"sqlite:///{tmp_path / 'data' / 'kintsugi.db'}")
    await upgrade(engine)
    store = SqlEventStore(engine)
    events = [
        *(await store.append("github/o/r", Event(type="github.push", source="github"))),
        *(await store.append("github/o/r", Event(type="github.issues.opened", source="github"))),
        *(
            await store.append(
                "cases/c1", Event(type="healing.case_opened", source="healing"), outbox=True
            )
        ),
    ]
    await store.outbox_mark(events[2].id, OutboxStatus.DEAD, error="boom", attempts=5)
    await engine.dispose()
    return events


def test_events_list_count_and_filters(tmp_path: Path) -> None:
    events = run_aside(seeded(tmp_path))

    listed = kintsugi(tmp_path, "events", "list", "--json")
    by_stream = kintsugi(tmp_path, "events", "list", "--stream", "github/o/r", "--limit", "1")
    by_type = kintsugi(tmp_path, "events", "list", "--type", "github.push", "--json")
    counted = kintsugi(tmp_path, "events", "count", "--type", "github.push")

    assert listed.returncode == 0, listed.stderr
    ids = [json.loads(line)["id"] for line in listed.stdout.splitlines()]
    assert ids == [str(e.id) for e in events]
    assert "github.issues.opened" in by_stream.stdout
    assert "github.push" not in by_stream.stdout
    assert [json.loads(line)["type"] for line in by_type.stdout.splitlines()] == ["github.push"]
    assert counted.stdout.strip() == "1"


def test_dead_letters_are_listed_and_retried(tmp_path: Path) -> None:
    events = run_aside(seeded(tmp_path))

    listed = kintsugi(tmp_path, "events", "dead-letters")
    retried = kintsugi(tmp_path, "events", "dead-letters", "--retry")
    after = kintsugi(tmp_path, "events", "dead-letters")

    assert str(events[2].id) in listed.stdout and "boom" in listed.stdout
    assert "1 event(s) handed back" in retried.stderr
    assert after.stdout == "" and "no dead letters" in after.stderr


def test_serve_without_secrets_exits_with_a_clear_error(tmp_path: Path) -> None:
    result = kintsugi(tmp_path, "serve", "--port", "1")
    assert result.returncode == 2
    assert "GITHUB_WEBHOOK_SECRET and SENTRY_WEBHOOK_SECRET must be set" in result.stderr
    assert "Traceback" not in result.stderr


def test_worker_without_redis_explains_the_embedded_default(tmp_path: Path) -> None:
    result = kintsugi(tmp_path, "worker")
    assert result.returncode == 2
    assert "REDIS_URL is not set" in result.stderr


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_dev_server_on_embedded_defaults_stores_a_signed_webhook(tmp_path: Path) -> None:
    port = free_port()
    server = subprocess.Popen(
        [*KINTSUGI, "serve", "--dev", "--port", str(port)],
        cwd=tmp_path,
        env=cli_env(tmp_path),
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        secrets = dict(line.split("=", 1) for line in (tmp_path / ".env").read_text().splitlines())
        assert (tmp_path / ".env").stat().st_mode & 0o777 == 0o600
        body = b'{"zen": "Practicality beats purity."}'
        answer = httpx.post(
            f"{base}/webhooks/github",
            content=body,
            headers={
                "X-GitHub-Event": "ping",
                "X-GitHub-Delivery": str(uuid.uuid4()),
                "X-Hub-Signature-256": github_signature(
                    secrets["GITHUB_WEBHOOK_SECRET"].encode(), body
                ),
            },
        )
        assert answer.status_code == 202
    finally:
        server.terminate()
        server.wait(timeout=20)
    assert kintsugi(tmp_path, "events", "count").stdout.strip() == "1"


@pytest.mark.postgres
def test_migrate_brings_postgres_to_head(tmp_path: Path, postgres_url: str) -> None:
    result = kintsugi(tmp_path, "migrate", DATABASE_URL=postgres_url)
    assert result.returncode == 0, result.stderr
    assert f"database schema at revision {head_revision()}" in result.stdout
