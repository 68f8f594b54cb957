"""End to end: GitHub refusing a step of a fix (403) → a reply, a check run and a log line that
name the missing permission, instead of a job that fails over and over."""

from __future__ import annotations

import logging

import pytest

from app.events import EventType
from tests.api.conftest import Hooks
from tests.e2e.test_heal_command import comment_payload, handled, hooks
from tests.github.conftest import SHOP_TRACEBACK
from tests.github.fake_github import FakeGitHub, FakeRepository

__all__ = ["hooks"]

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]


def permission_logs(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        str(getattr(record, "permission", ""))
        for record in caplog.records
        if record.getMessage() == "the GitHub App is missing a permission"
    ]


async def test_a_refused_pull_request_names_the_permission_on_the_check_run_and_in_the_reply(
    hooks: Hooks, fake_github: FakeGitHub, shop: FakeRepository, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    fake_github.fail_next("POST", "/repos/octo/shop/pulls", 403)
    payload = comment_payload(fake_github, shop, "maintainer", f"/heal\n{SHOP_TRACEBACK}")
    await hooks.github("issue_comment", payload)
    [done] = await handled(hooks.services)

    assert shop.pulls == [] and len(fake_github.calls("POST", "/repos/octo/shop/pulls")) == 1
    # The fix commit was pushed and verified; its check run says what is missing and how to
    # grant it, instead of a green tick on a fix nobody can see.
    [branch] = [name for name in shop.branches() if name.startswith("kintsugi/fix-")]
    [run] = shop.check_runs.values()
    assert run["head_sha"] == shop.git("rev-parse", branch).strip()
    assert run["history"] == ["queued", "in_progress", "completed"]
    assert run["conclusion"] == "action_required"
    assert run["output"]["title"] == "Missing permission: pull_requests: write"
    assert "Permissions & events" in run["output"]["summary"]
    assert run["details_url"] == "https://github.test/octo/shop/issues/7"
    [reply] = shop.comments
    assert "`pull_requests: write`" in reply["body"] and f"`{branch}`" in reply["body"]
    assert done.payload["pull_url"] is None
    assert permission_logs(caplog) == ["pull_requests: write"]
    # Handled once, not retried into the dead letters.
    assert await hooks.services.store.read_all(types=[EventType.JOB_DEAD_LETTERED]) == []


async def test_a_refused_push_names_contents_write_and_leaves_no_check_run(
    hooks: Hooks, fake_github: FakeGitHub, shop: FakeRepository, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    fake_github.fail_next("GET", "info/refs?service=git-receive-pack", 403)
    payload = comment_payload(fake_github, shop, "maintainer", f"/heal\n{SHOP_TRACEBACK}")
    await hooks.github("issue_comment", payload)
    await handled(hooks.services)

    assert shop.branches() == {"main"} and shop.check_runs == {} and shop.pulls == []
    [reply] = shop.comments
    assert "`contents: write`" in reply["body"] and "no pull request" in reply["body"]
    assert permission_logs(caplog) == ["contents: write"]
