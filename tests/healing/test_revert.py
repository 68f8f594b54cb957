"""Reverting the suspect change: a release's commit undone in the crash's files, ranked last."""

from __future__ import annotations

import itertools
import os
import subprocess
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from app.healing.candidate_search import Budget
from app.healing.candidates import Candidate, RepairContext, TemplateStrategy
from app.healing.engine import default_strategies
from app.healing.fix import confidence
from app.healing.incidents import incident_from_sentry
from app.healing.incidents.model import Incident
from app.healing.localise import RepositoryFiles, suspicious_locations
from app.healing.pipeline import Healer
from app.healing.revert import RevertStrategy, find_suspect
from app.healing.runner import SandboxCommandRunner
from tests.healing.conftest import KINTSUGI_TESTS, capture_sentry_event, write_repo

GOOD_CATALOG = """
CATALOG = {
    "apple": {"price": 3, "stock": 5},
    "pear": {"price": 4, "stock": 0},
}


def unit_price(item):
    return CATALOG[item]["price"]


def in_stock(item):
    return CATALOG[item]["stock"] > 0
"""

# The suspect change: the catalogue's key renamed, one reader left behind.
BAD_CATALOG = GOOD_CATALOG.replace('"price": 3', '"unit_price": 3').replace(
    '"price": 4', '"unit_price": 4'
)

FILES = {
    "shop/__init__.py": "",
    "shop/catalog.py": GOOD_CATALOG,
    "shop/cart.py": """
        from shop.catalog import unit_price


        def cart_total(items):
            return sum(unit_price(name) * qty for name, qty in items)
    """,
    "tests/test_catalog.py": """
        from shop.catalog import in_stock


        def test_apples_are_in_stock():
            assert in_stock("apple")
    """,
    "trigger.py": """
        from shop.cart import cart_total

        cart_total([("apple", 2)])
    """,
}


class GitRepo:
    """A scratch repository committed to with the system git."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")

    def git(self, *args: str) -> str:
        env = {
            **os.environ,
            "GIT_AUTHOR_NAME": "Dev",
            "GIT_AUTHOR_EMAIL": "dev@example.com",
            "GIT_COMMITTER_NAME": "Dev",
            "GIT_COMMITTER_EMAIL": "dev@example.com",
        }
        done = subprocess.run(
            ["git", *args], cwd=self.root, env=env, check=True, capture_output=True, text=True
        )
        return done.stdout

    def commit(self, files: dict[str, str], message: str) -> str:
        write_repo(self.root, files)
        self.git("add", "-A")
        self.git("commit", "-q", "-m", message)
        return self.git("rev-parse", "HEAD").strip()


@pytest.fixture
def shop(tmp_path: Path) -> GitRepo:
    repo = GitRepo(tmp_path / "shop")
    repo.commit(FILES, "Sell apples and pears")
    return repo


def crash(repo: GitRepo, release: str | None) -> Incident:
    event = capture_sentry_event(repo.root / "trigger.py", repo.root)
    event["release"] = release
    return incident_from_sentry(event)


def context_for(repo: GitRepo, incident: Incident) -> RepairContext:
    files = RepositoryFiles(repo.root)
    return RepairContext(files, incident, tuple(suspicious_locations(incident, files)))


async def proposals(repo: GitRepo, incident: Incident) -> list[Candidate]:
    return [c async for c in RevertStrategy().propose(context_for(repo, incident))]


async def test_release_naming_the_suspect_commit_proposes_its_revert_in_the_crash_file(
    shop: GitRepo,
) -> None:
    bad = shop.commit({"shop/catalog.py": BAD_CATALOG}, "Rename price to unit_price")

    [candidate] = await proposals(shop, crash(shop, f"shop@{bad[:7]}"))

    assert candidate.strategy == "revert"
    assert candidate.changes == {"shop/catalog.py": write_repo_text(GOOD_CATALOG)}
    assert candidate.description == (
        f"revert {bad[:7]} (Rename price to unit_price) in shop/catalog.py"
    )
    assert candidate.location is not None and candidate.location.path == "shop/catalog.py"


@pytest.mark.parametrize("form", ["full sha", "tag", "describe"])
async def test_release_may_be_a_full_sha_a_tag_or_a_describe_string(
    shop: GitRepo, form: str
) -> None:
    bad = shop.commit({"shop/catalog.py": BAD_CATALOG}, "Rename price to unit_price")
    shop.git("tag", "v2.0")
    release = {"full sha": bad, "tag": "v2.0", "describe": f"v1.9-1-g{bad[:9]}"}[form]

    [candidate] = await proposals(shop, crash(shop, release))

    assert candidate.changes["shop/catalog.py"] == write_repo_text(GOOD_CATALOG)


@pytest.mark.parametrize(
    "release", [None, "shop@deadbeef1", "1.0.0", "--output=/tmp/x", "HEAD..main", "main@{1}"]
)
async def test_release_that_names_no_commit_proposes_nothing(
    shop: GitRepo, release: str | None
) -> None:
    shop.commit({"shop/catalog.py": BAD_CATALOG}, "Rename price to unit_price")

    assert await proposals(shop, crash(shop, release)) == []


async def test_release_commit_that_left_the_crash_files_alone_proposes_nothing(
    shop: GitRepo,
) -> None:
    shop.commit({"shop/catalog.py": BAD_CATALOG}, "Rename price to unit_price")
    docs = shop.commit({"README.md": "# Shop\n"}, "Document the shop")

    assert await proposals(shop, crash(shop, docs)) == []


async def test_tests_changed_by_the_suspect_commit_are_never_reverted(shop: GitRepo) -> None:
    bad = shop.commit(
        {
            "shop/catalog.py": BAD_CATALOG,
            "tests/test_catalog.py": FILES["tests/test_catalog.py"] + "\n# pears next\n",
        },
        "Rename price to unit_price",
    )

    [candidate] = await proposals(shop, crash(shop, bad))

    assert list(candidate.changes) == ["shop/catalog.py"]


async def test_later_edits_elsewhere_in_the_file_are_kept_by_the_revert(shop: GitRepo) -> None:
    bad = shop.commit({"shop/catalog.py": BAD_CATALOG}, "Rename price to unit_price")
    later = BAD_CATALOG + "\n\ndef names():\n    return sorted(CATALOG)\n"
    shop.commit({"shop/catalog.py": later}, "List the catalogue's names")

    [candidate] = await proposals(shop, crash(shop, bad))

    reverted = candidate.changes["shop/catalog.py"]
    assert '"apple": {"price": 3, "stock": 5}' in reverted
    assert "def names():" in reverted


async def test_revert_that_no_longer_applies_cleanly_is_skipped(shop: GitRepo) -> None:
    bad = shop.commit({"shop/catalog.py": BAD_CATALOG}, "Rename price to unit_price")
    moved_on = BAD_CATALOG.replace('"unit_price": 3', '"unit_price": 5')
    shop.commit({"shop/catalog.py": moved_on}, "Dearer apples")

    incident = crash(shop, bad)
    suspect = find_suspect(RepositoryFiles(shop.root), incident)

    assert suspect is not None and suspect.skipped == ("shop/catalog.py",)
    assert await proposals(shop, incident) == []


async def test_repository_without_git_history_proposes_nothing(tmp_path: Path) -> None:
    root = write_repo(tmp_path / "plain", {**FILES, "shop/catalog.py": BAD_CATALOG})
    event = capture_sentry_event(root / "trigger.py", root)
    event["release"] = "shop@3f2a9c1"
    incident = incident_from_sentry(event)
    files = RepositoryFiles(root)

    context = RepairContext(files, incident, tuple(suspicious_locations(incident, files)))
    assert [c async for c in RevertStrategy().propose(context)] == []


def test_a_revert_is_trusted_less_than_a_targeted_fix_on_the_same_evidence() -> None:
    for reproduced in (True, False):
        revert = confidence("revert", reproduced, tests_after=10, new_failures=0)
        for targeted in ("template", "search", "llm"):
            assert revert < confidence(targeted, reproduced, tests_after=10, new_failures=0)


def test_revert_is_the_last_default_strategy() -> None:
    names = [strategy.name for strategy in default_strategies()]
    assert names == ["template", "search", "revert"]


@pytest.fixture(scope="module")
def runner() -> SandboxCommandRunner:
    return SandboxCommandRunner()


@pytest.mark.sandbox
async def test_crash_only_the_revert_fixes_is_healed_by_reverting_the_release_commit(
    shop: GitRepo, runner: SandboxCommandRunner
) -> None:
    bad = shop.commit({"shop/catalog.py": BAD_CATALOG}, "Rename price to unit_price")
    no_templates = TemplateStrategy(templates=[])

    result = await Healer(runner, [no_templates, RevertStrategy()]).heal(
        shop.root, crash(shop, f"shop@{bad[:7]}"), tests=KINTSUGI_TESTS
    )

    fix = result.fix
    assert fix is not None and result.reproduced
    assert fix.strategy == "revert" and fix.files == ("shop/catalog.py",)
    assert '-    "apple": {"unit_price": 3, "stock": 5},' in fix.diff
    assert '+    "apple": {"price": 3, "stock": 5},' in fix.diff
    assert bad[:7] in fix.description and bad[:7] in fix.root_cause
    assert 0 < fix.confidence < confidence("template", True, 2, 0)
    assert (shop.root / "shop/catalog.py").read_text() == write_repo_text(BAD_CATALOG)


@pytest.mark.sandbox
async def test_targeted_fix_wins_over_the_revert_when_a_template_fixes_the_crash(
    shop: GitRepo, runner: SandboxCommandRunner
) -> None:
    bad = shop.commit({"shop/catalog.py": BAD_CATALOG}, "Rename price to unit_price")
    incident = crash(shop, bad)
    assert await proposals(shop, incident)  # a revert was on offer

    result = await Healer(runner, [TemplateStrategy(), RevertStrategy()]).heal(
        shop.root, incident, tests=KINTSUGI_TESTS
    )

    assert result.fix is not None and result.fix.strategy == "template"


def write_repo_text(text: str) -> str:
    """A file's text as `write_repo` writes it."""
    return textwrap.dedent(text).lstrip("\n")


class _Hopeless:
    """A strategy that would use the whole candidate budget on edits that fix nothing."""

    name = "search"

    async def propose(self, context: RepairContext) -> AsyncIterator[Candidate]:
        source = context.files.read("shop/catalog.py")
        for attempt in itertools.count():
            edited = f"{source}\n# attempt {attempt}\n"
            yield Candidate(self.name, "noop", f"attempt {attempt}", {"shop/catalog.py": edited})


@pytest.mark.sandbox
async def test_a_search_that_exhausts_the_budget_still_leaves_the_revert_its_turn(
    shop: GitRepo, runner: SandboxCommandRunner
) -> None:
    bad = shop.commit({"shop/catalog.py": BAD_CATALOG}, "Rename price to unit_price")

    result = await Healer(
        runner, [_Hopeless(), RevertStrategy()], budget=Budget(max_candidates=3)
    ).heal(shop.root, crash(shop, bad), tests=KINTSUGI_TESTS)

    assert result.fix is not None and result.fix.strategy == "revert"
    assert result.candidates_tried == 3
    assert [description for description, _ in result.rejections] == ["attempt 0", "attempt 1"]


async def test_shallow_clone_without_the_parent_commit_proposes_nothing(
    shop: GitRepo, tmp_path: Path
) -> None:
    bad = shop.commit({"shop/catalog.py": BAD_CATALOG}, "Rename price to unit_price")
    clone = GitRepo(tmp_path / "clone")
    clone.git("fetch", "-q", "--depth", "1", f"file://{shop.root}", "main")
    clone.git("checkout", "-q", "FETCH_HEAD")

    assert await proposals(clone, crash(clone, bad)) == []
