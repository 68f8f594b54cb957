"""A repository name becomes a host path (the function checkouts) and a token's subject: only
GitHub's `owner/repo` shape may, never `../..` or an absolute path."""

from __future__ import annotations

import pytest

from app.cli import main
from app.settings import get_settings

NOT_REPOSITORIES = ["../..", "octo/..", "../repo", "/etc", "octo/repo/extra", "oc to/repo", "octo/"]


@pytest.fixture
def token_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FUNCTIONS_TOKEN_SECRET", "functions-token-secret-for-the-cli")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.parametrize("name", NOT_REPOSITORIES)
def test_no_token_is_minted_for_a_name_that_is_no_repository(
    name: str, token_secret: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["functions", "token", name]) == 2

    out, err = capsys.readouterr()
    assert out == ""
    assert "no token minted" in err


def test_a_token_is_minted_for_an_owner_and_repository(
    token_secret: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["functions", "token", "octo-org/shop.api_v2"]) == 0

    assert len(capsys.readouterr().out.strip()) == 64
