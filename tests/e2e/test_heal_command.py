"""End to end: a signed `/heal` comment webhook → the real app (SQLite, in-process queue) →
the fake GitHub over HTTP and a real git remote → a fix pull request, exactly once."""

from __future__ import annotations

import asyncio
import copy
import json
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.events import Event, EventType
from app.main import create_app
from app.services import Services, open_services
from tests.api.conftest import Hooks, make_settings
from tests.conftest import CORPUS
from tests.github.conftest import APP_ID, SHOP_TRACEBACK
from tests.github.fake_github import FakeGitHub, FakeRepository

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]


@pytest.fixture
async def hooks(
    fake_github: FakeGitHub, shop: FakeRepository, app_key: tuple[str, str], tmp_path: Path
) -> AsyncIterator[Hooks]:
    settings = make_settings(
        f"sqlite:///{tmp_path / 'kintsugi.db'}",
        github_app_id=APP_ID,
        github_app_private_key=app_key[0],
        github_api_url=fake_github.url,
        healing_budget_seconds=120,
    )
    services: Services = await open_services(settings)
    app = create_app(settings, services=services)
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://k.test") as client:
            yield Hooks(client, services)
    finally:
        await services.close()


def comment_payload(
    fake: FakeGitHub, repo: FakeRepository, author: str, body: str, comment_id: int = 501
) -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(
        (
            CORPUS / "github-webhooks/issue_comment/created.with-installation.payload.json"
        ).read_text()
    )
    payload = copy.deepcopy(payload)
    payload["installation"] = {"id": repo.installation_id, "node_id": "x"}
    payload["repository"].update(
        full_name=repo.full_name,
        name=repo.name,
        clone_url=fake.clone_url(repo),
        default_branch=repo.default_branch,
    )
    payload["repository"]["owner"]["login"] = repo.owner
    payload["issue"].update(
        number=7,
        body="The shop crashes at checkout.",
        html_url=f"https://github.test/{repo.full_name}/issues/7",
    )
    payload["issue"].pop("pull_request", None)
    user = {"login": author, "id": 9, "type": "User"}
    payload["comment"].update(id=comment_id, body=body, user=user, performed_via_github_app=None)
    payload["sender"] = user
    return payload


async def handled(services: Services, count: int = 1, within: float = 240.0) -> list[Event]:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        events = await services.store.read_all(types=[EventType.COMMAND_HANDLED])
        if len(events) >= count:
            return events
        dead = await services.store.read_all(types=[EventType.JOB_DEAD_LETTERED])
        assert not dead, dead[0].payload
        await asyncio.sleep(0.1)
    raise AssertionError("the command was not handled in time")


async def test_heal_comment_becomes_one_validated_fix_pull_request(
    hooks: Hooks, fake_github: FakeGitHub, shop: FakeRepository
) -> None:
    body = f"/heal\n\n```\n{SHOP_TRACEBACK}```\n"
    payload = comment_payload(fake_github, shop, "maintainer", body)
    delivery = str(uuid.uuid4())

    answer = await hooks.github("issue_comment", payload, delivery=delivery)
    assert answer.status_code == 202
    [done] = await handled(hooks.services)

    assert [(r["comment_id"], r["content"]) for r in shop.reactions] == [(501, "eyes")]
    [pull] = shop.pulls
    assert pull["head"]["ref"].startswith("kintsugi/fix-")
    assert pull["base"]["ref"] == "main"
    assert "## Evidence" in pull["body"] and "tests after: 1 passed, 0 failed" in pull["body"]
    assert 'order.get("qty"' in pull["body"]  # the diff, shown in the body
    # A pasted traceback carries no variables to replay, so the crash is not reproduced: the
    # confidence stays low and the pull request is a draft that says why.
    assert pull["draft"] is True and "could not be reproduced" in pull["body"]
    assert "https://github.test/octo/shop/issues/7" in pull["body"]
    assert "<details>" in pull["body"] and "/heal" in pull["body"]
    # The branch is real, in the remote, with the fix committed on top of main.
    branch = pull["head"]["ref"]
    assert branch in shop.branches()
    fixed = shop.git("show", f"{branch}:shop/orders.py")
    assert 'order.get("qty", 0)' in fixed
    assert shop.git("rev-parse", f"{branch}~1").strip() == shop.git("rev-parse", "main").strip()
    assert shop.labels[pull["number"]] == ["kintsugi"]
    # The check run on the fix commit went queued → in progress → completed, green.
    [run] = shop.check_runs.values()
    assert run["head_sha"] == pull["head"]["sha"]
    assert run["history"] == ["queued", "in_progress", "completed"]
    assert run["conclusion"] == "success"
    # The reply links the PR.
    [reply] = shop.comments
    assert reply["issue_number"] == 7 and pull["html_url"] in reply["body"]
    assert done.payload["pull_url"] == pull["html_url"]
    # Healing events are caused by the webhook's event.
    [webhook] = await hooks.services.store.read_all(types=["github.issue_comment.created"])
    opened = await hooks.services.store.read_all(
        types=[EventType.HEALING_CASE_OPENED, EventType.HEALING_PR_OPENED]
    )
    assert {e.type for e in opened} == {EventType.HEALING_CASE_OPENED, EventType.HEALING_PR_OPENED}
    assert {e.metadata.causation_id for e in opened} == {webhook.id}
    token_values = set(fake_github.tokens)
    assert not any(token in pull["body"] or token in reply["body"] for token in token_values)

    # The same delivery again: acknowledged, and nothing new happens.
    again = await hooks.github("issue_comment", payload, delivery=delivery)
    assert again.status_code == 200
    await asyncio.sleep(0.5)
    assert len(shop.pulls) == 1 and len(shop.comments) == 1


async def test_a_user_without_write_access_gets_a_polite_reply_and_nothing_runs(
    hooks: Hooks, fake_github: FakeGitHub, shop: FakeRepository
) -> None:
    payload = comment_payload(fake_github, shop, "visitor", f"/heal\n{SHOP_TRACEBACK}")
    assert (await hooks.github("issue_comment", payload)).status_code == 202
    [done] = await handled(hooks.services)

    assert done.payload["outcome"] == "refused"
    [reply] = shop.comments
    assert "write access" in reply["body"] and "@visitor" in reply["body"]
    assert shop.pulls == [] and fake_github.git_requests == []


async def test_help_and_status_answer_and_bots_are_ignored(
    hooks: Hooks, fake_github: FakeGitHub, shop: FakeRepository
) -> None:
    bot = comment_payload(fake_github, shop, "maintainer", "/help", comment_id=600)
    bot["comment"]["user"] = bot["sender"] = {"login": "kintsugi[bot]", "type": "Bot", "id": 1}
    await hooks.github("issue_comment", bot)
    await hooks.github(
        "issue_comment", comment_payload(fake_github, shop, "maintainer", "/help", 601)
    )
    await hooks.github("issue_comment", comment_payload(fake_github, shop, "owner", "/status", 602))
    await handled(hooks.services, count=2)

    bodies = sorted(comment["body"] for comment in shop.comments)
    assert len(bodies) == 2
    assert any("| `/heal` |" in body for body in bodies)
    assert any("Kintsugi status for octo/shop" in body for body in bodies)
    assert 600 not in {r["comment_id"] for r in shop.reactions}


async def test_a_502_from_github_is_retried_and_a_recurrence_comments_on_the_open_pull(
    hooks: Hooks, fake_github: FakeGitHub, shop: FakeRepository
) -> None:
    fake_github.fail_next("POST", "/repos/octo/shop/pulls", 502)
    first = comment_payload(fake_github, shop, "maintainer", f"/heal\n{SHOP_TRACEBACK}", 701)
    await hooks.github("issue_comment", first)
    await handled(hooks.services, count=1)
    assert len(fake_github.calls("POST", "/repos/octo/shop/pulls")) == 2
    [pull] = shop.pulls

    second = comment_payload(fake_github, shop, "owner", f"/heal\n{SHOP_TRACEBACK}", 702)
    await hooks.github("issue_comment", second)
    await handled(hooks.services, count=2)

    assert len(shop.pulls) == 1
    on_pull = [c for c in shop.comments if c["issue_number"] == pull["number"]]
    assert len(on_pull) == 1 and "happened again" in on_pull[0]["body"]
    replies = [c for c in shop.comments if c["issue_number"] == 7]
    assert "already has a fix pull request" in replies[-1]["body"]
    updated = await hooks.services.store.read_all(types=[EventType.HEALING_PR_UPDATED])
    assert len(updated) == 1


TRIAGE_CONFIG = """\
functions:
  triage:
    file: .github/functions/triage.py
"""

TRIAGE = """\
def handle(event, context):
    level = event["input"].get("level", 0)
    return {"level": level, "actions": {
        "comment": f"triaged #{event['issue']['number']} at level {level}",
        "labels": ["triaged"],
    }}
"""


async def test_run_invokes_the_declared_function_and_applies_its_actions_to_the_issue(
    hooks: Hooks, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    from tests.github.conftest import INSTALLATION_ID, SHOP_FILES
    from tests.github.fake_github import bare_repository

    files = {
        **SHOP_FILES,
        ".github/kintsugi.yml": TRIAGE_CONFIG,
        ".github/functions/triage.py": TRIAGE,
    }
    ops = fake_github.add_repository(
        FakeRepository(
            "octo",
            "ops",
            bare_repository(tmp_path, "ops", files),
            INSTALLATION_ID,
            permissions={"maintainer": "write"},
        )
    )
    body = '/run triage {"level": 2}'
    await hooks.github("issue_comment", comment_payload(fake_github, ops, "maintainer", body))
    [done] = await handled(hooks.services)

    assert done.payload["outcome"] == "done"
    texts = [comment["body"] for comment in ops.comments]
    assert "triaged #7 at level 2" in texts
    assert any(text.startswith("Ran `triage`") and '"level": 2' in text for text in texts)
    assert ops.labels == {7: ["triaged"]}
