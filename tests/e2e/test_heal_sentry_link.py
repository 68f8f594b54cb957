"""End to end: `/heal` on an issue that links a Sentry issue instead of pasting a traceback."""

from __future__ import annotations

import pytest

from tests.api.conftest import Hooks
from tests.e2e.test_automatic_sources import sentry_alert
from tests.e2e.test_heal_command import comment_payload, handled, hooks
from tests.github.fake_github import FakeGitHub, FakeRepository

__all__ = ["hooks"]

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]


async def test_heal_uses_the_latest_stored_event_of_the_linked_sentry_issue(
    hooks: Hooks, fake_github: FakeGitHub, shop: FakeRepository
) -> None:
    # Sentry sent an event of issue 42 earlier; no repository maps its project, so it waits.
    assert (await hooks.sentry("event_alert", sentry_alert())).status_code == 202
    payload = comment_payload(fake_github, shop, "maintainer", "/heal")
    payload["issue"]["body"] = "Checkout crashes: https://octo-org.sentry.io/issues/42/"
    await hooks.github("issue_comment", payload)
    [done] = await handled(hooks.services)

    assert done.payload["outcome"] == "pull_request"
    [pull] = shop.pulls
    assert 'order.get("qty", 0)' in shop.git("show", f"{pull['head']['ref']}:shop/orders.py")
    [reply] = shop.comments
    assert pull["html_url"] in reply["body"]


async def test_heal_of_a_sentry_issue_kintsugi_never_heard_of_says_so(
    hooks: Hooks, fake_github: FakeGitHub, shop: FakeRepository
) -> None:
    body = "/heal\nsee https://sentry.io/organizations/octo-org/issues/99/"
    await hooks.github("issue_comment", comment_payload(fake_github, shop, "maintainer", body))
    [done] = await handled(hooks.services)

    assert done.payload["outcome"] == "no_incident"
    [reply] = shop.comments
    assert "has not received an event for that Sentry issue yet" in reply["body"]
    assert "99" in reply["body"] and shop.pulls == [] and fake_github.git_requests == []
