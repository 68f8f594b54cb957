"""End to end, with no one asking: a Sentry alert and a failed CI run become fix pull requests;
merging one is recorded; installing opens one onboarding pull request. Each through the real
webhook endpoints (signed), the real app (SQLite, in-process queue) and the fake GitHub."""

from __future__ import annotations

import asyncio
import copy
import json
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

from app.events import Event, EventType
from app.services import Services
from tests.api.conftest import Hooks
from tests.conftest import CORPUS
from tests.e2e.test_heal_command import hooks
from tests.github.conftest import INSTALLATION_ID, SHOP_FILES
from tests.github.fake_github import FakeGitHub, FakeRepository, bare_repository

__all__ = ["hooks"]

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

CONFIG = "sentry:\n  project: shop-backend\n"


def corpus(path: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((CORPUS / path).read_text())
    return copy.deepcopy(loaded)


def configured_shop(fake: FakeGitHub, tmp_path: Path) -> FakeRepository:
    """The shop project as `octo/store`, with a config that maps its Sentry project."""
    files = {**SHOP_FILES, ".github/kintsugi.yml": CONFIG}
    bare = bare_repository(tmp_path / "configured", "store", files)
    return fake.add_repository(FakeRepository("octo", "store", bare, INSTALLATION_ID))


def installation_created(*repos: FakeRepository) -> dict[str, Any]:
    payload = corpus("github-webhooks/installation/created.payload.json")
    payload["installation"]["id"] = INSTALLATION_ID
    payload["installation"]["account"]["login"] = "octo"
    payload["repositories"] = [
        {"id": i, "name": r.name, "full_name": r.full_name, "private": False}
        for i, r in enumerate(repos)
    ]
    return payload


def repository_payload(fake: FakeGitHub, repo: FakeRepository) -> dict[str, Any]:
    return {
        "id": 1,
        "name": repo.name,
        "full_name": repo.full_name,
        "owner": {"login": repo.owner, "id": 2, "type": "User"},
        "clone_url": fake.clone_url(repo),
        "default_branch": repo.default_branch,
    }


async def settled(
    services: Services, types: list[str], count: int = 1, within: float = 240.0
) -> list[Event]:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        events = await services.store.read_all(types=types)
        if len(events) >= count:
            return events
        dead = await services.store.read_all(types=[EventType.JOB_DEAD_LETTERED])
        assert not dead, dead[0].payload
        await asyncio.sleep(0.1)
    raise AssertionError(f"no {types} in time")


async def idle(services: Services, within: float = 60.0) -> None:
    """Wait until every stored event's job has finished."""
    from app.events.store import OutboxStatus

    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        counts = await services.store.outbox_counts()
        if not counts.get(OutboxStatus.PENDING) and not counts.get(OutboxStatus.ENQUEUED):
            return
        await asyncio.sleep(0.05)
    raise AssertionError("jobs still running")


def sentry_alert(event_id: str = "a1b2c3d4e5f60718293a4b5c6d7e8f90") -> dict[str, Any]:
    payload = corpus("sentry-webhooks/event_alert/docs-event_alert.triggered.json")
    event = payload["data"]["event"]
    event["event_id"] = event_id
    event["url"] = f"https://sentry.io/api/0/projects/octo-org/shop-backend/events/{event_id}/"
    event["web_url"] = f"https://sentry.io/organizations/octo-org/issues/42/events/{event_id}/"
    event["issue_id"] = "42"
    event["title"] = "KeyError: 'qty'"
    event["exception"] = {
        "values": [
            {
                "type": "KeyError",
                "value": "'qty'",
                "module": "builtins",
                "stacktrace": {
                    "frames": [
                        {
                            "abs_path": "/srv/app/shop/orders.py",
                            "filename": "shop/orders.py",
                            "module": "shop.orders",
                            "function": "total",
                            "lineno": 2,
                            "context_line": '    return order["price"] * order["qty"]',
                            "in_app": True,
                            "vars": {"order": "{'price': 2}"},
                        }
                    ]
                },
            }
        ]
    }
    return payload


async def test_a_sentry_alert_for_a_mapped_project_becomes_a_fix_pull_request(
    hooks: Hooks, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    shop = configured_shop(fake_github, tmp_path)
    await hooks.github("installation", installation_created(shop))
    await idle(hooks.services)

    assert (await hooks.sentry("event_alert", sentry_alert())).status_code == 202
    [handled] = await settled(hooks.services, [EventType.HEALING_TRIGGER_HANDLED])

    [pull] = shop.pulls
    branch = pull["head"]["ref"]
    assert branch.startswith("kintsugi/fix-") and branch in shop.branches()
    assert pull["base"]["ref"] == "main"
    assert 'order.get("qty", 0)' in shop.git("show", f"{branch}:shop/orders.py")
    assert "https://sentry.io/organizations/octo-org/issues/42/" in pull["body"]
    assert handled.payload["pull_url"] == pull["html_url"]
    assert shop.comments == []  # no onboarding, no noise: the repository was configured

    # The same Sentry issue again (a new event): a comment on the open pull request, no second.
    await hooks.sentry("event_alert", sentry_alert("ffffeeeeddddccccbbbbaaaa99998888"))
    await settled(hooks.services, [EventType.HEALING_TRIGGER_HANDLED], count=2)
    assert len(shop.pulls) == 1
    [note] = shop.comments
    assert note["issue_number"] == pull["number"] and "happened again" in note["body"]


async def test_a_sentry_alert_waits_for_the_config(
    hooks: Hooks, fake_github: FakeGitHub, shop: FakeRepository
) -> None:
    # `shop` has no config: installing it opens exactly one onboarding pull request, and
    # Sentry cannot be mapped to it, so nothing else happens.
    await hooks.github("installation", installation_created(shop))
    await hooks.github("installation", installation_created(shop))  # a second delivery
    await settled(hooks.services, [EventType.ONBOARDING_PR_OPENED])
    await hooks.sentry("event_alert", sentry_alert())
    await idle(hooks.services)

    [pull] = shop.pulls
    assert pull["head"]["ref"] == "kintsugi/onboarding"
    assert "kintsugi/onboarding" in shop.branches()
    assert await hooks.services.store.read_all(types=[EventType.HEALING_CASE_OPENED]) == []


# A regression on a pull request branch: `total` now ignores the quantity.
BROKEN_ORDERS = textwrap.dedent(
    """\
    def total(order):
        return order["price"] * order["qty"] if order["qty"] < 0 else order["price"]
    """
)


def check_run_failed(
    fake: FakeGitHub, repo: FakeRepository, sha: str, branch: str, run_id: int, name: str
) -> dict[str, Any]:
    payload = corpus("github-webhooks/check_run/completed.payload.json")
    payload["installation"] = {"id": repo.installation_id, "node_id": "x"}
    payload["repository"] = repository_payload(fake, repo)
    run = payload["check_run"]
    run.update(
        id=run_id,
        name=name,
        head_sha=sha,
        conclusion="failure",
        html_url=f"https://github.test/{repo.full_name}/runs/{run_id}",
        pull_requests=[],
    )
    run["app"] = {"id": 15368, "slug": "github-actions", "name": "GitHub Actions"}
    run["check_suite"].update(head_branch=branch, head_sha=sha)
    return payload


async def test_a_failed_check_run_becomes_one_pull_request_against_that_branch(
    hooks: Hooks, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    shop = configured_shop(fake_github, tmp_path)
    sha = shop.commit("feature", {"shop/orders.py": BROKEN_ORDERS}, "simplify total")

    await hooks.github("check_run", check_run_failed(fake_github, shop, sha, "feature", 1, "test"))
    [handled] = await settled(hooks.services, [EventType.HEALING_TRIGGER_HANDLED])
    # A second job of the same run fails on the same commit: nothing new.
    await hooks.github("check_run", check_run_failed(fake_github, shop, sha, "feature", 2, "lint"))
    await idle(hooks.services)

    [pull] = shop.pulls
    assert pull["base"]["ref"] == "feature"  # against the branch, never onto it
    assert shop.git("rev-parse", "feature").strip() == sha
    fixed = shop.git("show", f"{pull['head']['ref']}:shop/orders.py")
    assert fixed != BROKEN_ORDERS
    assert handled.payload["pull_url"] == pull["html_url"]
    assert len(await hooks.services.store.read_all(types=[EventType.CI_FAILURE_ACCEPTED])) == 1
    assert len(await hooks.services.store.read_all(types=[EventType.HEALING_TRIGGER_HANDLED])) == 1


async def test_a_failure_on_a_commit_that_is_no_longer_the_head_is_ignored(
    hooks: Hooks, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    shop = configured_shop(fake_github, tmp_path)
    stale = shop.commit("feature", {"shop/orders.py": BROKEN_ORDERS}, "break")
    shop.commit("feature", {"shop/orders.py": SHOP_FILES["shop/orders.py"]}, "revert")

    await hooks.github("check_run", check_run_failed(fake_github, shop, stale, "feature", 3, "t"))
    await idle(hooks.services)

    assert fake_github.calls("GET", "/repos/octo/store/branches/feature")  # GitHub was asked
    assert shop.pulls == [] and fake_github.git_requests == []
    assert await hooks.services.store.read_all(types=[EventType.CI_FAILURE_ACCEPTED]) == []


async def test_merging_a_fix_pull_request_is_recorded_for_evolution(
    hooks: Hooks, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    shop = configured_shop(fake_github, tmp_path)
    opened = Event(
        type=EventType.HEALING_PR_OPENED,
        source="kintsugi.github",
        payload={
            "repository": shop.full_name,
            "case_id": "case-9",
            "fingerprint": "0123456789ab",
            "strategy": "search",
            "pull_url": f"https://github.test/{shop.full_name}/pull/1000",
        },
    )
    await hooks.services.store.append("healing-0123456789ab", opened)
    payload = corpus("github-webhooks/pull_request/closed.payload.json")
    payload["installation"] = {"id": INSTALLATION_ID, "node_id": "x"}
    payload["repository"] = repository_payload(fake_github, shop)
    pull = payload["pull_request"]
    pull.update(number=1000, merged=True, html_url=opened.payload["pull_url"])
    pull["head"].update(ref="kintsugi/fix-0123456789ab", repo={"full_name": shop.full_name})

    await hooks.github("pull_request", payload)
    [merged] = await settled(hooks.services, [EventType.HEALING_PR_MERGED])

    assert merged.payload["strategy"] == "search" and merged.payload["case_id"] == "case-9"


TRIAGE_CONFIG = """\
functions:
  triage:
    file: .github/functions/triage.py
    on: [issues.opened]
    timeout: 5
"""

TRIAGE = """\
def handle(event, context):
    issue = event["issue"]
    kind = "bug" if "crash" in issue["title"].lower() else "question"
    return {"actions": {"comment": f"Triaged #{issue['number']} as {kind}.", "labels": [kind]}}
"""


async def test_an_opened_issue_runs_the_declared_function_and_gets_its_comment(
    hooks: Hooks, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    files = {
        **SHOP_FILES,
        ".github/kintsugi.yml": TRIAGE_CONFIG,
        ".github/functions/triage.py": TRIAGE,
    }
    ops = fake_github.add_repository(
        FakeRepository("octo", "ops", bare_repository(tmp_path / "ops", "ops", files), 77)
    )
    payload = corpus("github-webhooks/issues/opened.payload.json")
    payload["installation"] = {"id": ops.installation_id, "node_id": "x"}
    payload["repository"] = repository_payload(fake_github, ops)
    payload["issue"].update(number=12, title="Checkout crashes on empty cart")

    await hooks.github("issues", payload)
    [triggered] = await settled(hooks.services, [EventType.FUNCTION_TRIGGERED])

    assert [c["body"] for c in ops.comments] == ["Triaged #12 as bug."]
    assert [c["issue_number"] for c in ops.comments] == [12]
    assert ops.labels == {12: ["bug"]}
    assert triggered.payload["status_code"] == 200
    [invoked] = await hooks.services.store.read_all(types=[EventType.FUNCTION_INVOKED])
    [webhook] = await hooks.services.store.read_all(types=["github.issues.opened"])
    assert invoked.metadata.causation_id == webhook.id
    assert invoked.payload["function"] == "triage"

    # Another event type the function does not declare: nothing runs.
    closed = copy.deepcopy(payload)
    closed["action"] = "closed"
    await hooks.github("issues", closed)
    await idle(hooks.services)
    assert len(ops.comments) == 1
