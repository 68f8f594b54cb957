"""End to end: `/evolve` on a repository that declares a benchmark → a speedup rewrite kept by
its suite and measured faster by its benchmark in the sandbox → a pull request with the figures."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.api.conftest import Hooks
from tests.e2e.test_heal_command import comment_payload, handled, hooks
from tests.evolution.test_improvements import BENCH
from tests.github.conftest import INSTALLATION_ID
from tests.github.fake_github import FakeGitHub, FakeRepository, bare_repository

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

__all__ = ["hooks"]

FILES = {
    ".github/kintsugi.yml": "benchmark_command: python bench.py\n",
    "stats.py": textwrap.dedent(
        """\
        def greek(kind):
            return kind in ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"]
        """
    ),
    "tests/test_stats.py": textwrap.dedent(
        """\
        from stats import greek


        def test_greek():
            assert greek("gamma") and not greek("omega")
        """
    ),
    "bench.py": BENCH,
}


@pytest.fixture
def stats(fake_github: FakeGitHub, tmp_path: Path) -> FakeRepository:
    return fake_github.add_repository(
        FakeRepository(
            "octo",
            "stats",
            bare_repository(tmp_path, "stats", FILES),
            INSTALLATION_ID,
            permissions={"owner": "admin"},
        )
    )


async def test_evolve_proposes_a_measured_speedup_with_its_benchmark_figures(
    hooks: Hooks, fake_github: FakeGitHub, stats: FakeRepository
) -> None:
    await hooks.github("issue_comment", comment_payload(fake_github, stats, "owner", "/evolve"))
    [done] = await handled(hooks.services)

    [pull] = stats.pulls
    assert pull["head"]["ref"] == "kintsugi/improve-membership-set"
    body = pull["body"]
    assert "Test membership in a set literal" in pull["title"]
    assert "## Benchmark" in body and "`python bench.py`" in body
    assert "| **median** |" in body and "The median fell by" in body
    assert body.count("\n| 5 |") == 1  # every one of the five runs is shown
    rewritten = stats.git("show", "kintsugi/improve-membership-set:stats.py")
    assert 'return kind in {"alpha", "beta", "gamma",' in rewritten
    [recorded] = await hooks.services.store.read_all(types=["evolution.improvement_pr_opened"])
    figures = recorded.payload["benchmark"]
    assert figures["command"] == "python bench.py"
    assert len(figures["before_seconds"]) == len(figures["after_seconds"]) == 5
    assert figures["median_after"] <= (1 - figures["margin"]) * figures["median_before"]
    assert figures["best_after"] <= (1 - figures["margin"]) * figures["best_before"]
    assert done.payload["pull_url"] == pull["html_url"]
