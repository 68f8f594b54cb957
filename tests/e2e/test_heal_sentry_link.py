"""End to end: `/heal` on an issue that links a Sentry issue instead of pasting a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.api.conftest import Hooks
from tests.e2e.test_automatic_sources import idle, installation_created, sentry_alert
from tests.e2e.test_heal_command import comment_payload, handled, hooks
from tests.github.conftest import INSTALLATION_ID, SHOP_FILES
from tests.github.fake_github import FakeGitHub, FakeRepository, bare_repository

__all__ = ["hooks"]

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

# The project of `sentry_alert()`; Sentry alerts themselves heal nothing here, only `/heal`.
CONFIG = "sources:\n  sentry: false\nsentry:\n  project: shop-backend\n"


async def mapped_store(hooks: Hooks, fake: FakeGitHub, tmp_path: Path) -> FakeRepository:
    files = {**SHOP_FILES, ".github/kintsugi.yml": CONFIG}
    bare = bare_repository(tmp_path / "store", "store", files)
    repo = fake.add_repository(
        FakeRepository("octo", "store", bare, INSTALLATION_ID, permissions={"maintainer": "write"})
    )
    await hooks.github("installation", installation_created(repo))
    await idle(hooks.services)
    return repo


async def test_heal_uses_the_latest_stored_event_of_the_linked_sentry_issue(
    hooks: Hooks, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    store = await mapped_store(hooks, fake_github, tmp_path)
    assert (await hooks.sentry("event_alert", sentry_alert())).status_code == 202
    payload = comment_payload(fake_github, store, "maintainer", "/heal")
    payload["issue"]["body"] = "Checkout crashes: https://octo-org.sentry.io/issues/42/"
    payload["issue"]["user"] = {"login": "maintainer", "id": 9, "type": "User"}
    await hooks.github("issue_comment", payload)
    [done] = await handled(hooks.services)

    assert done.payload["outcome"] == "pull_request"
    [pull] = store.pulls
    assert 'order.get("qty", 0)' in store.git("show", f"{pull['head']['ref']}:shop/orders.py")
    [reply] = store.comments
    assert pull["html_url"] in reply["body"]


async def test_heal_of_a_sentry_issue_kintsugi_never_heard_of_says_so(
    hooks: Hooks, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    store = await mapped_store(hooks, fake_github, tmp_path)
    body = "/heal\nsee https://sentry.io/organizations/octo-org/issues/99/"
    await hooks.github("issue_comment", comment_payload(fake_github, store, "maintainer", body))
    [done] = await handled(hooks.services)

    assert done.payload["outcome"] == "no_incident"
    [reply] = store.comments
    assert "has not received an event for that Sentry issue yet" in reply["body"]
    assert "99" in reply["body"] and store.pulls == [] and fake_github.git_requests == []
