"""End to end: what maintainers do with a fix pull request changes the next similar `/heal`.
A fix closed unmerged is remembered from the log, and the next crash of the same kind in the
same repository gets a different fix, through the real app (SQLite, in-process queue), the
signed webhooks and the fake GitHub."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from app.data.fix_memory import describe_incident
from app.data.fix_memory_log import FixMemoryFromLog
from app.events import EventType
from tests.api.conftest import Hooks
from tests.e2e.test_automatic_sources import corpus, repository_payload, settled
from tests.e2e.test_heal_command import comment_payload, handled, hooks
from tests.github.conftest import INSTALLATION_ID
from tests.github.fake_github import FakeGitHub, FakeRepository, bare_repository

__all__ = ["hooks"]

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

FILES = {
    "shop/__init__.py": "",
    "shop/orders.py": textwrap.dedent(
        """\
        def total(order):
            return order["price"] * order["qty"]


        def refund(order):
            return order["qty"] * order["price"]
        """
    ),
    "tests/test_orders.py": textwrap.dedent(
        """\
        from shop.orders import refund, total


        def test_total_multiplies_price_by_quantity():
            assert total({"price": 2, "qty": 3}) == 6


        def test_refund_returns_what_was_paid():
            assert refund({"price": 2, "qty": 3}) == 6
        """
    ),
}


def heal(line: int, function: str, code: str) -> str:
    """A `/heal` comment with a pasted traceback of a missing quantity."""
    return (
        "/heal\n\n```\n"
        "Traceback (most recent call last):\n"
        f'  File "/srv/app/shop/orders.py", line {line}, in {function}\n'
        f"    {code}\n"
        "KeyError: 'qty'\n```\n"
    )


@pytest.fixture
def till(fake_github: FakeGitHub, tmp_path: Path) -> FakeRepository:
    bare = bare_repository(tmp_path, "till", FILES)
    return fake_github.add_repository(
        FakeRepository(
            "octo", "till", bare, INSTALLATION_ID, permissions={"maintainer": "maintain"}
        )
    )


def closed(fake: FakeGitHub, repo: FakeRepository, pull: dict[str, Any], merged: bool) -> Any:
    payload = corpus("github-webhooks/pull_request/closed.payload.json")
    payload["installation"] = {"id": INSTALLATION_ID, "node_id": "x"}
    payload["repository"] = repository_payload(fake, repo)
    payload["pull_request"].update(number=pull["number"], merged=merged, html_url=pull["html_url"])
    payload["pull_request"]["head"].update(
        ref=pull["head"]["ref"], repo={"full_name": repo.full_name}
    )
    pull["state"] = "closed"
    return payload


def fixed(repo: FakeRepository, pull: dict[str, Any]) -> str:
    return repo.git("show", f"{pull['head']['ref']}:shop/orders.py")


async def test_a_fix_closed_unmerged_steers_the_next_similar_heal_to_another_fix(
    hooks: Hooks, fake_github: FakeGitHub, till: FakeRepository
) -> None:
    first = heal(2, "total", 'return order["price"] * order["qty"]')
    await hooks.github("issue_comment", comment_payload(fake_github, till, "maintainer", first))
    await handled(hooks.services)
    [pull] = till.pulls
    # Nothing remembered yet: the templates' first default wins.
    assert 'return order["price"] * order.get("qty", 0)' in fixed(till, pull)

    # A maintainer closes it: charging nothing for a missing quantity is not what they want.
    await hooks.github("pull_request", closed(fake_github, till, pull, merged=False))
    [rejected] = await settled(hooks.services, [EventType.HEALING_PR_REJECTED])
    assert rejected.payload["case_id"]

    second = heal(6, "refund", 'return order["qty"] * order["price"]')
    payload = comment_payload(fake_github, till, "maintainer", second, comment_id=502)
    await hooks.github("issue_comment", payload)
    await handled(hooks.services, count=2)

    first_pull, second_pull = till.pulls
    assert second_pull["head"]["ref"] != first_pull["head"]["ref"]
    refund = fixed(till, second_pull).split("def refund")[1]
    # The same template, but the default like the rejected fix is now tried last.
    assert 'return order.get("qty") * order["price"]' in refund
    [_, case] = await hooks.services.store.read_all(types=[EventType.HEALING_FIX_VALIDATED])
    assert case.payload["operator"] == "missing_key"

    # Merged, it is remembered too: the memory holds both outcomes, from the log alone.
    await hooks.github("pull_request", closed(fake_github, till, second_pull, merged=True))
    await settled(hooks.services, [EventType.HEALING_PR_MERGED])

    memory = FixMemoryFromLog(hooks.services.store)
    like = describe_incident("KeyError", "'qty'", ["shop/orders.py:discount"], 'order["qty"]')
    recalled = await memory.similar(like, 5)
    assert sorted(hit.fix.outcome.value for hit in recalled) == ["merged", "rejected"]
