"""`kintsugi doctor` against a fake GitHub and a real running server: every check reported,
each failure with its cause and what to do."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.cli import main
from app.settings import Settings
from app.setup.checks import Check, run_checks
from tests.api.conftest import GITHUB_SECRET, make_settings
from tests.github.fake_github import FakeGitHub, generate_private_key, serve
from tests.live_server import LiveServer
from workers.jobs import Router

APP_ID = 5150
KEY = generate_private_key()


@pytest.fixture
def fake_github() -> Iterator[FakeGitHub]:
    with serve(FakeGitHub(APP_ID, KEY[1])) as fake:
        yield fake


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveServer]:
    with LiveServer(make_settings(f"sqlite:///{tmp_path / 'server.db'}"), Router()) as server:
        yield server


def doctor_settings(tmp_path: Path, fake: FakeGitHub, **overrides: Any) -> Settings:
    values = {
        "github_app_id": APP_ID,
        "github_app_private_key": KEY[0],
        "github_api_url": fake.url,
        **overrides,
    }
    return make_settings(f"sqlite:///{tmp_path / 'server.db'}", **values)


def by_name(checks: list[Check]) -> dict[str, Check]:
    return {check.name: check for check in checks}


def failed_in(out: str) -> list[str]:
    return [line[6:].split("  ")[0].strip() for line in out.splitlines() if line[:4] == "FAIL"]


def closed_port() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


async def test_a_working_set_up_passes_every_check(
    tmp_path: Path, fake_github: FakeGitHub, live: LiveServer
) -> None:
    checks = by_name(await run_checks(lambda: doctor_settings(tmp_path, fake_github), live.url))

    assert list(checks) == [
        "settings",
        "database",
        "queue",
        "sandbox",
        "github app",
        "webhook secret",
    ]
    # bubblewrap is required wherever these tests run: no sandbox fails the check, and this.
    assert checks.pop("sandbox").status == "pass"
    assert {name: check.status for name, check in checks.items()} == dict.fromkeys(checks, "pass")
    assert f"(id {APP_ID})" in checks["github app"].detail
    (app_call,) = fake_github.calls("GET", "/app")
    assert app_call.path == "/app" and app_call.auth == "jwt"


async def test_a_foreign_key_and_a_server_with_another_secret_fail_with_their_cause(
    tmp_path: Path, fake_github: FakeGitHub, live: LiveServer
) -> None:
    other_key = generate_private_key()[0]
    settings = doctor_settings(
        tmp_path,
        fake_github,
        github_app_private_key=other_key,
        github_webhook_secret="not-what-the-server-has",
    )
    checks = by_name(await run_checks(lambda: settings, live.url))

    assert checks["github app"].status == "fail"
    assert "GitHub refused the App's JWT (GET /app answered 401)" in checks["github app"].detail
    assert "same App" in checks["github app"].fix
    assert checks["webhook secret"].status == "fail"
    assert "restart it after changing .env" in checks["webhook secret"].fix


async def test_without_a_running_server_the_webhook_check_is_skipped_not_failed(
    tmp_path: Path, fake_github: FakeGitHub
) -> None:
    checks = by_name(
        await run_checks(lambda: doctor_settings(tmp_path, fake_github), closed_port())
    )
    assert checks["webhook secret"].status == "skip"
    assert "start `kintsugi serve`" in checks["webhook secret"].fix


def test_the_command_prints_each_check_and_fails_without_an_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    for name in ("GITHUB_APP_ID", "GITHUB_APP_PRIVATE_KEY", "GITHUB_APP_PRIVATE_KEY_PATH"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / ".env").write_text(
        f"GITHUB_WEBHOOK_SECRET={GITHUB_SECRET}\nSENTRY_WEBHOOK_SECRET=s\nREDIS_URL=\n"
        f"DATABASE_URL=sqlite:///{tmp_path / 'new.db'}\n"
    )
    code = main(["doctor", "--server-url", closed_port()])

    out = capsys.readouterr().out
    assert code == 1
    assert "PASS  settings" in out
    assert "FAIL  github app      no GitHub App is configured (GITHUB_APP_ID)" in out
    assert "→ open the setup link `kintsugi serve` prints, or run `kintsugi setup`" in out
    assert "SKIP  webhook secret" in out
    assert out.rstrip().endswith("check(s) failed: " + ", ".join(failed_in(out)))
    assert not (tmp_path / "new.db").exists()  # a doctor looks, it creates no database
