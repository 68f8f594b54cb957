"""Kintsugi's own errors reach Sentry through the real sentry-sdk, with every secret scrubbed."""

from __future__ import annotations

import gzip
import json
import logging
import threading
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import sentry_sdk
from fastapi import Request
from pydantic import SecretStr

from app.main import create_app
from app.settings import Settings
from app.telemetry import Scrubber, configured_secrets, init_error_reporting

GITHUB_SECRET = "gh-webhook-secret-3f9a1c"
SENTRY_SECRET = "sentry-client-secret-77b2"
DASHBOARD_TOKEN = "dashboard-admin-token-5e0d2b7a"
PRIVATE_KEY = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEowIBAAKCAQEAx4GZBvT1pPqj8S3kQ0ZcW7wP2xYy9dLr0Aqf1bX2eH3mN8uV\n"
    "q7hR5tWz9JkL3nB6vC1xD4fG8sA2yE0iO7uP5lK9mQ3wT6rZ1cV8bN4jH2gF7dS\n"
    "-----END RSA PRIVATE KEY-----"
)
PRIVATE_KEY_LINES = PRIVATE_KEY.splitlines()[1:3]
LLM_KEY = "sk-test-llm-key-0a1b2c3d4e"


class Envelopes:
    """A Sentry ingest endpoint on 127.0.0.1 that keeps every envelope it receives."""

    def __init__(self) -> None:
        self.bodies: list[bytes] = []
        self.received = threading.Condition()

    def add(self, body: bytes) -> None:
        with self.received:
            self.bodies.append(body)
            self.received.notify_all()

    def wait_for_events(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        with self.received:
            self.received.wait_for(lambda: len(self.events()) >= count, timeout)
        return self.events()

    def events(self) -> list[dict[str, Any]]:
        """The event items (not sessions or transactions) of every envelope."""
        found = []
        for body in self.bodies:
            lines = body.split(b"\n")
            for header, item in zip(lines[1::2], lines[2::2], strict=False):
                if json.loads(header).get("type") == "event":
                    found.append(json.loads(item))
        return found


@pytest.fixture
def ingest() -> Iterator[tuple[Envelopes, str]]:
    envelopes = Envelopes()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            encoding = self.headers.get("Content-Encoding", "")
            if encoding == "gzip":
                body = gzip.decompress(body)
            elif encoding == "deflate":
                body = zlib.decompress(body)
            elif encoding == "br":
                import brotli

                body = brotli.decompress(body)
            envelopes.add(body)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield envelopes, f"http://publickey@127.0.0.1:{server.server_port}/42"
    sentry_sdk.get_client().close()
    sentry_sdk.init()  # back to a client that sends nothing
    server.shutdown()
    server.server_close()


class SettingsWithAppKey(Settings):
    """Settings as they grow: any further `SecretStr` field is scrubbed without being named."""

    github_app_private_key: SecretStr | None = None
    llm_api_key: SecretStr | None = None


def settings_with(dsn: str | None, tmp_path: Path) -> Settings:
    return SettingsWithAppKey(
        _env_file=None,
        database_url=f"sqlite:///{tmp_path / 'kintsugi.db'}",
        github_webhook_secret=GITHUB_SECRET,
        sentry_webhook_secret=SENTRY_SECRET,
        dashboard_token=DASHBOARD_TOKEN,
        github_app_private_key=PRIVATE_KEY,
        llm_api_key=LLM_KEY,
        sentry_dsn=dsn,
        sentry_environment="staging",
    )


def assert_no_secret_in(body: bytes) -> None:
    for secret in (GITHUB_SECRET, SENTRY_SECRET, DASHBOARD_TOKEN, LLM_KEY, *PRIVATE_KEY_LINES):
        assert secret.encode() not in body, f"{secret[:12]}… leaked"


def test_without_a_dsn_nothing_is_reported(tmp_path: Path) -> None:
    assert init_error_reporting(settings_with(None, tmp_path)) is False
    assert not sentry_sdk.get_client().is_active()


def test_captured_exception_arrives_with_secrets_scrubbed_from_frames_and_breadcrumbs(
    ingest: tuple[Envelopes, str], tmp_path: Path
) -> None:
    envelopes, dsn = ingest
    assert init_error_reporting(settings_with(dsn, tmp_path)) is True

    def load_installation(key: str) -> None:
        pem = PRIVATE_KEY
        # These locals are the frame variables Sentry captures.
        headers = {"Authorization": f"Bearer {DASHBOARD_TOKEN}", "Accept": "application/json"}
        llm = {"model": "gpt-4o-mini", "api_base": f"https://llm.test/?k={LLM_KEY}"}
        logging.getLogger("kintsugi.test").warning("verifying with %s", GITHUB_SECRET)
        raise ValueError(
            f"bad signature for secret {SENTRY_SECRET} and key line {pem[40:90]!r} "
            f"(headers {sorted(headers)}, model {llm['model']})"
        )

    try:
        load_installation(PRIVATE_KEY_LINES[0])
    except ValueError:
        sentry_sdk.capture_exception()
    sentry_sdk.flush(timeout=5)

    (event,) = envelopes.wait_for_events(1)
    (exception,) = event["exception"]["values"]
    assert exception["type"] == "ValueError"
    assert "bad signature for secret [redacted]" in exception["value"]
    assert event["environment"] == "staging"
    frame = exception["stacktrace"]["frames"][-1]
    assert frame["function"] == "load_installation"
    assert "[redacted]" in frame["vars"]["pem"]
    assert frame["vars"]["key"] == "'[redacted]'" or "[redacted]" in frame["vars"]["key"]
    assert "application/json" in str(frame["vars"]["headers"])
    assert "gpt-4o-mini" in str(frame["vars"]["llm"])
    crumbs = [c.get("message") or "" for c in event["breadcrumbs"]["values"]]
    assert "verifying with [redacted]" in crumbs
    for body in envelopes.bodies:
        assert_no_secret_in(body)


async def test_unhandled_route_error_reaches_sentry_without_request_secrets(
    ingest: tuple[Envelopes, str], tmp_path: Path
) -> None:
    envelopes, dsn = ingest
    app = create_app(settings_with(dsn, tmp_path))

    async def explode(request: Request) -> None:
        token = request.headers["authorization"]
        raise RuntimeError(f"could not use {token}")

    app.add_api_route("/explode", explode)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://kintsugi.test") as client:
        response = await client.get(
            f"/explode?token={DASHBOARD_TOKEN}",
            headers={
                "Authorization": f"Bearer {DASHBOARD_TOKEN}",
                "X-Hub-Signature-256": f"sha256={GITHUB_SECRET}",
                "Cookie": f"session={LLM_KEY}",
            },
        )
    assert response.status_code == 500
    sentry_sdk.flush(timeout=5)

    (event,) = envelopes.wait_for_events(1)
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"
    assert event["request"]["url"].endswith("/explode")
    headers = event["request"]["headers"]
    assert headers["x-hub-signature-256"] == headers["cookie"] == "[redacted]"
    assert event["request"]["query_string"] == "token=[redacted]"
    for body in envelopes.bodies:
        assert_no_secret_in(body)


def test_scrubber_redacts_secret_names_and_values_at_any_depth() -> None:
    scrubber = Scrubber([GITHUB_SECRET, PRIVATE_KEY, "short"])
    scrubbed = scrubber.scrub(
        {
            "repository": {"full_name": "octo/cat", "private": False, "deploy_key": "ssh-rsa AAA"},
            "headers": [("X-Hub-Signature-256", "sha256=abc")],
            "notes": [f"secret={GITHUB_SECRET}", {"line": PRIVATE_KEY_LINES[1] + " tail"}],
            "api_token": 12345,
            "password": None,
            "message": "a short note",
        }
    )
    assert scrubbed["repository"] == {
        "full_name": "octo/cat",
        "private": False,
        "deploy_key": "[redacted]",
    }
    assert scrubbed["notes"] == ["secret=[redacted]", {"line": "[redacted] tail"}]
    assert scrubbed["api_token"] == "[redacted]"
    assert scrubbed["password"] is None
    # Values too short to be secrets are left alone, or every "short" word would vanish.
    assert scrubbed["message"] == "a short note"


def test_configured_secrets_are_every_secret_setting_that_is_set(tmp_path: Path) -> None:
    found = configured_secrets(settings_with("http://k@127.0.0.1:9/1", tmp_path))
    assert set(found) == {
        GITHUB_SECRET,
        SENTRY_SECRET,
        DASHBOARD_TOKEN,
        PRIVATE_KEY,
        LLM_KEY,
        "http://k@127.0.0.1:9/1",
    }


def test_long_lived_objects_are_kept_out_of_the_collectors_full_passes() -> None:
    import gc

    from app.telemetry import YOUNG_COLLECTION_THRESHOLD, freeze_long_lived_objects

    before = gc.get_freeze_count()
    thresholds = gc.get_threshold()
    try:
        freeze_long_lived_objects()
        frozen = gc.get_freeze_count()
        assert frozen > before
        assert frozen > len(gc.get_objects(generation=2))  # most of the heap, not a few
        assert gc.get_threshold() == (YOUNG_COLLECTION_THRESHOLD, *thresholds[1:])
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
