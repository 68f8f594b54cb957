"""End to end, on a repository with a real dependency from the package index: `/heal` and a
failed CI run each open a pull request whose fix was validated in the repository's own built
environment; a dependency that cannot be resolved ends with that reason in the reply, a check
run on the commit and the event log."""

from __future__ import annotations

import importlib.util
import textwrap
from pathlib import Path

import pytest

from app.events import EventType
from app.github.fix_pr import CASE_CHECK_NAME, CHECK_NAME
from tests.api.conftest import Hooks
from tests.e2e.test_automatic_sources import check_run_failed, settled
from tests.e2e.test_heal_command import comment_payload, handled, hooks
from tests.github.conftest import INSTALLATION_ID
from tests.github.fake_github import FakeGitHub, FakeRepository, bare_repository

__all__ = ["hooks"]

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

# Pinned, pure Python, one module; Kintsugi itself does not depend on it.
DEPENDENCY = "inflection==0.5.1"

PRICING_FILES = {
    "requirements.txt": f"{DEPENDENCY}\n",
    ".github/kintsugi.yml": "dashboard: false\n",
    "pricing/__init__.py": "",
    "pricing/orders.py": textwrap.dedent(
        """\
        import inflection


        def total(order):
            return order["price"] * order["qty"]


        def heading(order):
            return inflection.titleize(order["name"])
        """
    ),
    "tests/test_orders.py": textwrap.dedent(
        """\
        from pricing.orders import heading, total


        def test_total_multiplies_price_by_quantity():
            assert total({"price": 2, "qty": 3}) == 6


        def test_heading_reads_like_a_title():
            assert heading({"name": "blue_widget"}) == "Blue Widget"
        """
    ),
}

PRICING_TRACEBACK = textwrap.dedent(
    """\
    Traceback (most recent call last):
      File "/srv/app/pricing/orders.py", line 5, in total
        return order["price"] * order["qty"]
    KeyError: 'qty'
    """
)

# The regression a CI run catches: an order without a quantity must cost nothing.
FREE_ORDER_TEST = textwrap.dedent(
    """\
    from pricing.orders import total


    def test_an_order_without_a_quantity_costs_nothing():
        assert total({"price": 2}) == 0
    """
)


def pricing(
    fake: FakeGitHub, tmp_path: Path, files: dict[str, str] | None = None
) -> FakeRepository:
    bare = bare_repository(tmp_path / "pricing-remote", "pricing", files or PRICING_FILES)
    return fake.add_repository(
        FakeRepository(
            "octo", "pricing", bare, INSTALLATION_ID, permissions={"maintainer": "maintain"}
        )
    )


@pytest.fixture(autouse=True)
def not_installed_beside_kintsugi() -> None:
    # What makes these tests mean something: only the repository's environment has it.
    assert importlib.util.find_spec("inflection") is None


async def test_heal_comment_opens_a_pull_request_validated_in_the_repositorys_environment(
    hooks: Hooks, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    repo = pricing(fake_github, tmp_path)
    body = f"/heal\n\n```\n{PRICING_TRACEBACK}```\n"

    await hooks.github("issue_comment", comment_payload(fake_github, repo, "maintainer", body))
    [done] = await handled(hooks.services)

    [pull] = repo.pulls
    assert done.payload["pull_url"] == pull["html_url"]
    fixed = repo.git("show", f"{pull['head']['ref']}:pricing/orders.py")
    assert 'order.get("qty", 0)' in fixed and "import inflection" in fixed
    # Both tests ran, the one importing the dependency too, before and after the fix.
    assert "tests after: 2 passed, 0 failed" in pull["body"]
    [check] = repo.check_runs.values()
    assert check["name"] == CHECK_NAME and check["conclusion"] == "success"
    assert "in the repository's environment (Python" in check["output"]["summary"]
    [opened] = await hooks.services.store.read_all(types=[EventType.HEALING_CASE_OPENED])
    key = opened.payload["environment"]
    assert isinstance(key, str) and key in hooks.services.environments.entries()


async def test_a_failed_check_run_opens_a_pull_request_validated_in_the_same_environment(
    hooks: Hooks, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    repo = pricing(fake_github, tmp_path)
    sha = repo.commit("feature", {"tests/test_free.py": FREE_ORDER_TEST}, "free orders")

    await hooks.github("check_run", check_run_failed(fake_github, repo, sha, "feature", 1, "test"))
    [handled_ci] = await settled(hooks.services, [EventType.HEALING_TRIGGER_HANDLED])

    [pull] = repo.pulls
    assert handled_ci.payload["pull_url"] == pull["html_url"]
    assert pull["base"]["ref"] == "feature"
    assert 'order.get("qty", 0)' in repo.git("show", f"{pull['head']['ref']}:pricing/orders.py")
    assert "tests after: 3 passed, 0 failed" in pull["body"]
    [check] = repo.check_runs.values()
    assert check["conclusion"] == "success"
    assert "in the repository's environment (Python" in check["output"]["summary"]
    [opened] = await hooks.services.store.read_all(types=[EventType.HEALING_CASE_OPENED])
    assert opened.payload["environment"] in hooks.services.environments.entries()


async def test_a_dependency_that_cannot_be_resolved_ends_with_the_environments_reason(
    hooks: Hooks, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    missing = "kintsugi-e2e-no-such-package==1.0"
    repo = pricing(fake_github, tmp_path, {**PRICING_FILES, "requirements.txt": f"{missing}\n"})
    body = f"/heal\n\n```\n{PRICING_TRACEBACK}```\n"

    await hooks.github("issue_comment", comment_payload(fake_github, repo, "maintainer", body))
    [done] = await handled(hooks.services)

    assert repo.pulls == [] and done.payload["outcome"] == "no_fix"
    [reply] = repo.comments
    assert "environment is unavailable: the environment build failed" in reply["body"]
    assert "kintsugi-e2e-no-such-package" in reply["body"]  # the build's own output
    assert "No validated fix found" not in reply["body"]
    [check] = repo.check_runs.values()
    head = repo.git("rev-parse", "main").strip()
    assert check["name"] == CASE_CHECK_NAME and check["head_sha"] == head
    assert check["conclusion"] == "neutral"
    assert "environment build failed" in check["output"]["summary"]
    [stopped] = await hooks.services.store.read_all(types=[EventType.HEALING_NOT_STARTED])
    assert "environment build failed" in stopped.payload["reason"]
    assert "kintsugi-e2e-no-such-package" in stopped.payload["output"]
    assert stopped.payload["repository"] == "octo/pricing"
    assert stopped.payload["commit"] == head


async def test_tests_that_cannot_import_an_undeclared_dependency_end_the_case_with_that_reason(
    hooks: Hooks, fake_github: FakeGitHub, tmp_path: Path
) -> None:
    files = dict(PRICING_FILES)
    del files["requirements.txt"]  # the code still imports the dependency
    repo = pricing(fake_github, tmp_path, files)
    body = f"/heal\n\n```\n{PRICING_TRACEBACK}```\n"

    await hooks.github("issue_comment", comment_payload(fake_github, repo, "maintainer", body))
    await handled(hooks.services)

    assert repo.pulls == []
    [reply] = repo.comments
    assert "the tests could not import inflection on the unchanged code" in reply["body"]
    assert "No validated fix found" not in reply["body"]
    [check] = repo.check_runs.values()
    assert (
        check["name"] == CASE_CHECK_NAME
        and "could not import inflection" in (check["output"]["summary"])
    )
    [ended] = await hooks.services.store.read_all(types=[EventType.HEALING_FIX_NOT_FOUND])
    assert "could not import inflection" in ended.payload["reason"]
    assert "No module named 'inflection'" in ended.payload["output"]
    assert await hooks.services.store.read_all(types=[EventType.HEALING_NOT_STARTED]) == []
