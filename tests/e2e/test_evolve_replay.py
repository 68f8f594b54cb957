"""End to end: a case recorded by a real `/heal`, its fix merged, is replayed by `/evolve` at
the commit it was healed on — incumbent against a challenger, in the sandbox — and its
agreement is measured against the merged fix; a case whose commit is gone is skipped, counted."""

from __future__ import annotations

import asyncio
import copy
import json
import time
from typing import Any

import pytest

from app.events import Event, EventType
from tests.api.conftest import Hooks
from tests.conftest import CORPUS
from tests.e2e.test_heal_command import comment_payload, handled, hooks
from tests.github.conftest import SHOP_TRACEBACK
from tests.github.fake_github import FakeGitHub, FakeRepository

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

__all__ = ["hooks"]


def merged(shop: FakeRepository, pull: dict[str, Any]) -> dict[str, Any]:
    path = CORPUS / "github-webhooks/pull_request/closed.payload.json"
    payload: dict[str, Any] = copy.deepcopy(json.loads(path.read_text()))
    payload["installation"] = {"id": shop.installation_id, "node_id": "x"}
    payload["repository"].update(full_name=shop.full_name, name=shop.name)
    payload["pull_request"].update(number=pull["number"], html_url=pull["html_url"], merged=True)
    payload["pull_request"]["head"]["ref"] = pull["head"]["ref"]
    payload["pull_request"]["head"]["repo"] = None
    return payload


async def test_evolve_replays_a_recorded_case_at_its_commit_and_measures_agreement(
    hooks: Hooks, fake_github: FakeGitHub, shop: FakeRepository
) -> None:
    store = hooks.services.store
    healed_at = shop.git("rev-parse", "main").strip()
    heal = comment_payload(fake_github, shop, "maintainer", f"/heal\n{SHOP_TRACEBACK}", 801)
    await hooks.github("issue_comment", heal)
    await handled(hooks.services)
    [pull] = shop.pulls
    [opened] = await store.read_all(types=[EventType.HEALING_CASE_OPENED])
    assert opened.payload["commit"] == healed_at

    # The maintainer merges the fix (main moves past the recorded commit), and GitHub says so.
    fix_sha = shop.git("rev-parse", pull["head"]["ref"]).strip()
    shop.git("update-ref", "refs/heads/main", fix_sha)
    shop.commit("main", {"NOTES.md": "later work\n"}, "later work")
    await hooks.github("pull_request", merged(shop, pull))
    [merge] = await _wait_for(hooks, EventType.HEALING_PR_MERGED)
    assert merge.payload["case_id"] == opened.payload["case_id"]

    # A case recorded at a commit that no longer exists (a force-push rewrote history).
    lost = opened.payload | {"case_id": "case-lost", "commit": "0" * 40, "fingerprint": "f" * 16}
    await store.append(
        "healing-lost", Event(type=EventType.HEALING_CASE_OPENED, source="test", payload=lost)
    )

    evolve = comment_payload(fake_github, shop, "owner", "/evolve", 802)
    await hooks.github("issue_comment", evolve)
    [_, done] = await handled(hooks.services, count=2, within=400)

    assert done.payload["outcome"] == "no_improvement"
    reply = shop.comments[-1]["body"]
    assert "Strategy replay of this repository's 1 newest recorded case(s)" in reply
    assert "fixed 1 of 1, agreeing with the merged fix in 1 of 1" in reply
    assert "skipped `octo/shop#case-lost`" in reply
    [replay] = await store.read_all(types=[EventType.EVOLUTION_REPLAY_COMPLETED])
    name = f"octo/shop#{opened.payload['case_id']}"
    assert replay.payload["cases_replayed"] == [name]
    assert replay.payload["recorded"]["replayed"] == 1
    assert replay.payload["recorded"]["skipped"] == 1
    assert "octo/shop#case-lost" in replay.payload["recorded"]["skip_reasons"]
    incumbent = replay.payload["outcomes"][replay.payload["variant"]][name]
    assert incumbent["fixed"] is True and incumbent["agrees"] is True
    assert incumbent["location"] == "shop/orders.py:2"
    [challenger] = replay.payload["challengers"]
    assert name in replay.payload["outcomes"][challenger["variant"]]
    # Nothing was pushed for the replay: the only branch Kintsugi wrote is the fix's.
    assert {b for b in shop.branches() if b.startswith("kintsugi/")} == {pull["head"]["ref"]}
    tokens = set(fake_github.tokens)
    assert not any(token in reply or token in json.dumps(replay.payload) for token in tokens)


async def _wait_for(hooks: Hooks, kind: str) -> list[Event]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = await hooks.services.store.read_all(types=[kind])
        if found:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"no {kind} in time")
