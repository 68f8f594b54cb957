"""`kintsugi setup` refuses to register a second App over a configured one."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.cli import main
from app.settings import get_settings


def test_setup_refuses_when_an_app_is_configured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("GITHUB_APP_ID", raising=False)
    (tmp_path / ".env").write_text("GITHUB_APP_ID=42\nGITHUB_APP_PRIVATE_KEY_PATH=k.pem\n")
    get_settings.cache_clear()
    try:
        code = main(["setup", "--port", "0"])
    finally:
        get_settings.cache_clear()
    assert code == 2
    assert "a GitHub App is configured already (GITHUB_APP_ID is set)" in capsys.readouterr().err
    assert (tmp_path / ".env").read_text().startswith("GITHUB_APP_ID=42\n")
