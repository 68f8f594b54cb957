"""App auth and the REST adapter against the fake GitHub, which checks credentials like GitHub."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from app.data.cache import InProcessCache
from app.errors import ConfigurationError, TransientError
from app.github.api import GitHubRepository, RepoRef
from app.github.auth import (
    AppCredentials,
    InstallationToken,
    InstallationTokens,
    app_credentials,
)
from app.github.client import GitHubApp
from app.github.errors import GitHubNotFound
from app.settings import Settings
from tests.github.conftest import APP_ID, INSTALLATION_ID
from tests.github.fake_github import FakeGitHub, FakeRepository


async def repository(app: GitHubApp, repo: FakeRepository) -> GitHubRepository:
    client = await app.installation_client(repo.installation_id)
    return GitHubRepository(client, RepoRef(repo.owner, repo.name))


async def test_installation_token_is_minted_with_the_app_jwt_once_and_reused(
    github_app: GitHubApp, fake_github: FakeGitHub, shop: FakeRepository
) -> None:
    api = await repository(github_app, shop)
    assert await api.permission("maintainer") == "maintain"
    again = await repository(github_app, shop)
    assert await again.permission("visitor") == "read"

    mints = fake_github.calls("POST", "/access_tokens")
    assert [call.auth for call in mints] == ["jwt"]
    reads = fake_github.calls("GET", "/permission")
    assert {call.auth for call in reads} == {f"token:{INSTALLATION_ID}"}


async def test_a_token_close_to_expiry_is_replaced() -> None:
    now = datetime(2030, 1, 1, tzinfo=UTC)
    minted: list[int] = []

    async def mint(installation_id: int) -> InstallationToken:
        minted.append(installation_id)
        return InstallationToken(SecretStr(f"t{len(minted)}"), now + timedelta(minutes=12))

    clock = [now]
    tokens = InstallationTokens(1, mint, InProcessCache(), clock=lambda: clock[0])
    assert (await tokens.token(5)).get_secret_value() == "t1"
    assert (await tokens.token(5)).get_secret_value() == "t1"
    clock[0] = now + timedelta(minutes=3)  # 9 minutes left: inside the safety margin
    assert (await tokens.token(5)).get_secret_value() == "t2"
    assert minted == [5, 5]


async def test_a_jwt_signed_with_another_key_is_refused(
    fake_github: FakeGitHub, shop: FakeRepository
) -> None:
    from tests.github.fake_github import generate_private_key

    stranger = GitHubApp(
        AppCredentials(APP_ID, SecretStr(generate_private_key()[0])), api_url=fake_github.url
    )
    with pytest.raises(TransientError, match="credentials"):
        await stranger.installation_token(INSTALLATION_ID)
    assert [call.auth for call in fake_github.calls("POST", "/access_tokens")] == ["rejected"]


async def test_server_errors_are_retried_and_the_call_succeeds(
    github_app: GitHubApp, fake_github: FakeGitHub, shop: FakeRepository
) -> None:
    api = await repository(github_app, shop)
    fake_github.fail_next("POST", "/issues/3/comments", 502)

    comment = await api.comment(3, "hello")

    assert comment.html_url.endswith(f"#issuecomment-{comment.id}")
    assert len(fake_github.calls("POST", "/issues/3/comments")) == 2
    assert [c["body"] for c in shop.comments] == ["hello"]


async def test_persistent_server_errors_become_a_transient_error(
    github_app: GitHubApp, fake_github: FakeGitHub, shop: FakeRepository
) -> None:
    api = await repository(github_app, shop)
    fake_github.fail_next("POST", "/labels", 503, times=4)
    with pytest.raises(TransientError, match="503"):
        await api.add_labels(3, ["bug"])


async def test_missing_file_is_none_and_unknown_repository_is_not_found(
    github_app: GitHubApp, fake_github: FakeGitHub, shop: FakeRepository
) -> None:
    api = await repository(github_app, shop)
    assert await api.file_text(".github/kintsugi.yml") is None
    assert "def total" in (await api.file_text("shop/orders.py") or "")
    client = await github_app.installation_client(INSTALLATION_ID)
    elsewhere = GitHubRepository(client, RepoRef("octo", "secret"))
    with pytest.raises(GitHubNotFound):
        await elsewhere.comment(1, "x")


async def test_non_collaborator_has_no_permission(
    github_app: GitHubApp, shop: FakeRepository
) -> None:
    api = await repository(github_app, shop)
    assert await api.permission("drive-by") == "none"


def test_credentials_come_from_the_key_text_or_its_file(
    tmp_path: Path, app_key: tuple[str, str]
) -> None:
    inline = Settings(
        _env_file=None,  # type: ignore[call-arg]
        github_app_id=7,
        github_app_private_key=app_key[0].replace("\n", "\\n"),
    )
    credentials = app_credentials(inline)
    assert credentials is not None and credentials.private_key.get_secret_value() == app_key[0]
    assert "PRIVATE" not in repr(credentials)
    pem = tmp_path / "app.pem"
    pem.write_text(app_key[0])
    from_file = Settings(
        _env_file=None,  # type: ignore[call-arg]
        github_app_id=7,
        github_app_private_key_path=pem,
    )
    assert app_credentials(from_file) == credentials
    assert app_credentials(Settings(_env_file=None)) is None  # type: ignore[call-arg]
    with pytest.raises(ConfigurationError, match="GITHUB_APP_PRIVATE_KEY"):
        app_credentials(Settings(_env_file=None, github_app_id=7))  # type: ignore[call-arg]


async def test_tokens_never_reach_the_logs(
    github_app: GitHubApp,
    fake_github: FakeGitHub,
    shop: FakeRepository,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    token = await github_app.installation_token(INSTALLATION_ID)
    api = await repository(github_app, shop)
    await api.comment(1, "hi")
    assert token.get_secret_value() not in caplog.text
