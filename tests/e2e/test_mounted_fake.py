"""End to end with the fake GitHub mounted through respx instead of served on a port: the same
ASGI app answers, no socket is opened, and commands without git run exactly as before."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.api.conftest import Hooks
from tests.e2e.test_heal_command import comment_payload, handled, hooks
from tests.github.conftest import APP_ID, SHOP_TRACEBACK
from tests.github.fake_github import FakeGitHub, FakeRepository, mounted

__all__ = ["hooks"]


@pytest.fixture
def fake_github(app_key: tuple[str, str]) -> Iterator[FakeGitHub]:
    # Replaces the loopback fixture for this module: `shop`, `github_app` and `hooks` use it.
    with mounted(FakeGitHub(APP_ID, app_key[1]), "https://github-enterprise.test/api/v3") as fake:
        yield fake


async def test_status_and_a_refused_heal_run_against_the_fake_mounted_through_respx(
    hooks: Hooks, fake_github: FakeGitHub, shop: FakeRepository
) -> None:
    # The host does not resolve: every answer came from the mounted app, not the network.
    assert fake_github.url == "https://github-enterprise.test/api/v3"
    await hooks.github("issue_comment", comment_payload(fake_github, shop, "owner", "/status", 1))
    visitor = comment_payload(fake_github, shop, "visitor", f"/heal\n{SHOP_TRACEBACK}", 2)
    await hooks.github("issue_comment", visitor)
    events = await handled(hooks.services, count=2)

    assert sorted(e.payload["outcome"] for e in events) == ["done", "refused"]
    bodies = [comment["body"] for comment in shop.comments]
    assert any("Kintsugi status for octo/shop" in body for body in bodies)
    assert any("@visitor" in body and "write access" in body for body in bodies)
    assert sorted(r["comment_id"] for r in shop.reactions) == [1, 2]
    # GitHub's auth rules held: a JWT for the token, the token for the repository calls.
    [mint] = fake_github.calls("POST", "/access_tokens")
    assert mint.auth == "jwt"
    repo_calls = fake_github.calls("GET", "/repos/octo/shop/collaborators/")
    assert repo_calls and {call.auth for call in repo_calls} == {f"token:{shop.installation_id}"}
    assert fake_github.git_requests == [] and shop.pulls == []
