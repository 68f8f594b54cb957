"""End to end: a recorded fix pull request → the real app's queue and router → a "Kintsugi
dashboard" issue on the fake GitHub listing it; then a signed webhook saying it was merged →
the same issue, updated once, listing it as merged."""

from __future__ import annotations

import asyncio
import copy
import json
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.events import Event, EventMetadata, EventType
from app.github.dashboard_issue import DASHBOARD_LABEL, DASHBOARD_TITLE
from app.main import create_app
from app.services import Services, open_services
from tests.api.conftest import Hooks, make_settings
from tests.conftest import CORPUS
from tests.e2e.test_heal_command import comment_payload, handled
from tests.github.conftest import APP_ID, SHOP_TRACEBACK
from tests.github.fake_github import FakeGitHub, FakeRepository

FINGERPRINT = "3f2a9c0d1e7b"


@pytest.fixture
async def hooks(
    fake_github: FakeGitHub, shop: FakeRepository, app_key: tuple[str, str], tmp_path: Path
) -> AsyncIterator[Hooks]:
    settings = make_settings(
        f"sqlite:///{tmp_path / 'kintsugi.db'}",
        github_app_id=APP_ID,
        github_app_private_key=app_key[0],
        github_api_url=fake_github.url,
    )
    services: Services = await open_services(settings)
    app = create_app(settings, services=services)
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://k.test"
        ) as client:
            yield Hooks(client, services)
    finally:
        await services.close()


async def until(condition: Callable[[], bool], services: Services, within: float = 20.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if condition():
            return
        dead = await services.store.read_all(types=[EventType.JOB_DEAD_LETTERED])
        assert not dead, dead[0].payload
        await asyncio.sleep(0.05)
    raise AssertionError("the dashboard issue did not get there in time")


def recorded(kind: str, shop: FakeRepository, **payload: Any) -> Event:
    return Event(
        type=kind,
        source="kintsugi.github",
        payload={"repository": shop.full_name, "fingerprint": FINGERPRINT, **payload},
        metadata=EventMetadata(installation_id=shop.installation_id),
    )


def merged_payload(shop: FakeRepository, number: int, url: str) -> dict[str, Any]:
    path = CORPUS / "github-webhooks/pull_request/closed.payload.json"
    payload: dict[str, Any] = copy.deepcopy(json.loads(path.read_text()))
    payload["installation"] = {"id": shop.installation_id, "node_id": "x"}
    payload["repository"].update(full_name=shop.full_name, name=shop.name)
    payload["pull_request"].update(number=number, html_url=url, merged=True)
    payload["pull_request"]["head"]["ref"] = f"kintsugi/fix-{FINGERPRINT}"
    payload["pull_request"]["head"]["repo"] = None
    return payload


async def test_a_fix_pull_request_appears_on_the_dashboard_issue_and_its_merge_updates_it(
    hooks: Hooks, fake_github: FakeGitHub, shop: FakeRepository
) -> None:
    shop.commit("main", {".github/kintsugi.yml": "labels: [kintsugi]\n"}, "configure Kintsugi")
    url = "https://github.test/octo/shop/pull/1000"
    store = hooks.services.store
    case = {"case_id": "case-1"}
    await store.append(
        f"healing-{FINGERPRINT}",
        recorded(EventType.HEALING_CASE_OPENED, shop, incident="KeyError: 'qty'", **case),
    )
    await store.append(
        f"healing-{FINGERPRINT}",
        recorded(EventType.HEALING_PR_OPENED, shop, pull_url=url, confidence=0.74, **case),
        outbox=True,  # delivered through the relay, the queue and the router
    )

    await until(lambda: bool(shop.issues), hooks.services)
    [issue] = shop.issues
    assert issue["title"] == DASHBOARD_TITLE
    assert [label["name"] for label in issue["labels"]] == [DASHBOARD_LABEL]
    open_pulls = issue["body"].split("## Open cases")[0]
    assert f"| {url} | `KeyError: 'qty'` | 0.74 | 0 |" in open_pulls

    answer = await hooks.github("pull_request", merged_payload(shop, 1000, url))
    assert answer.status_code == 202
    await until(lambda: f"- {url}: merged" in shop.issues[0]["body"], hooks.services)
    [issue] = shop.issues
    assert f"| {url} |" not in issue["body"]  # no longer an open pull request
    assert len(fake_github.calls("PATCH", f"/issues/{issue['number']}")) == 1
    assert len(fake_github.calls("POST", "/repos/octo/shop/issues")) == 1
    tokens = set(fake_github.tokens)
    assert not any(token in issue["body"] for token in tokens)


@pytest.mark.sandbox
@pytest.mark.slow
async def test_a_heal_command_leaves_its_pull_request_on_the_dashboard_issue(
    hooks: Hooks, fake_github: FakeGitHub, shop: FakeRepository
) -> None:
    shop.commit("main", {".github/kintsugi.yml": "labels: [kintsugi]\n"}, "configure Kintsugi")
    payload = comment_payload(fake_github, shop, "maintainer", f"/heal\n{SHOP_TRACEBACK}")
    await hooks.github("issue_comment", payload)
    await handled(hooks.services)

    [pull] = shop.pulls
    await until(lambda: bool(shop.issues), hooks.services)
    [issue] = shop.issues
    assert f"| {pull['html_url']} | `KeyError: 'qty'" in issue["body"]
