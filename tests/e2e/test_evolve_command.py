"""End to end: a signed `/evolve` comment → the real app → the repository's suite in the sandbox,
before and after a codemod → an improvement pull request on `kintsugi/improve-*`, once."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.api.conftest import Hooks
from tests.e2e.test_heal_command import comment_payload, handled, hooks
from tests.github.conftest import INSTALLATION_ID
from tests.github.fake_github import FakeGitHub, FakeRepository, bare_repository

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

__all__ = ["hooks"]

# Old-style annotations the `typing_builtins` codemod rewrites, and a suite that stays green.
LEDGER_FILES = {
    "ledger/__init__.py": "",
    "ledger/sums.py": textwrap.dedent(
        """\
        from typing import Dict, List


        def totals(rows: List[Dict[str, int]]) -> Dict[str, int]:
            out: Dict[str, int] = {}
            for row in rows:
                for key, value in row.items():
                    out[key] = out.get(key, 0) + value
            return out
        """
    ),
    "tests/test_sums.py": textwrap.dedent(
        """\
        from ledger.sums import totals


        def test_totals_add_up_per_key():
            assert totals([{"a": 1}, {"a": 2, "b": 5}]) == {"a": 3, "b": 5}
        """
    ),
}


@pytest.fixture
def ledger(fake_github: FakeGitHub, tmp_path: Path) -> FakeRepository:
    return fake_github.add_repository(
        FakeRepository(
            "octo",
            "ledger",
            bare_repository(tmp_path, "ledger", LEDGER_FILES),
            INSTALLATION_ID,
            permissions={"owner": "admin", "visitor": "read"},
        )
    )


async def test_evolve_opens_one_validated_improvement_pull_request_and_not_twice(
    hooks: Hooks, fake_github: FakeGitHub, ledger: FakeRepository
) -> None:
    await hooks.github("issue_comment", comment_payload(fake_github, ledger, "owner", "/evolve"))
    [done] = await handled(hooks.services)

    assert [(r["comment_id"], r["content"]) for r in ledger.reactions] == [(501, "eyes")]
    [pull] = ledger.pulls
    branch = pull["head"]["ref"]
    assert branch == "kintsugi/improve-typing-builtins"
    assert pull["base"]["ref"] == "main" and pull["draft"] is False
    body = pull["body"]
    assert "Use built-in generics instead of typing aliases" in pull["title"]
    assert "PEP 585" in body  # what the codemod does
    assert "1 file(s), +2 / -3 lines" in body and "`ledger/sums.py`" in body
    assert "tests before: 1 passed" in body and "tests after: 1 passed" in body
    assert "## To decline" in body and "max_open_improvements" in body
    assert "https://github.test/octo/ledger/issues/7" in body
    # The branch is real, one commit on top of main, with the file rewritten.
    rewritten = ledger.git("show", f"{branch}:ledger/sums.py")
    assert "def totals(rows: list[dict[str, int]]) -> dict[str, int]:" in rewritten
    assert "from typing" not in rewritten
    assert ledger.git("rev-parse", f"{branch}~1").strip() == ledger.git("rev-parse", "main").strip()
    assert ledger.git("show", "main:ledger/sums.py") == LEDGER_FILES["ledger/sums.py"]
    assert ledger.labels[pull["number"]] == ["kintsugi"]
    [reply] = ledger.comments
    assert reply["issue_number"] == 7 and pull["html_url"] in reply["body"]
    assert "Healing strategies: variant" in reply["body"]
    assert done.payload["outcome"] == "pull_request"
    assert done.payload["pull_url"] == pull["html_url"]
    [recorded] = await hooks.services.store.read_all(types=["evolution.improvement_pr_opened"])
    assert recorded.payload["codemod"] == "typing_builtins"
    assert recorded.payload["tests_after"]["passed"] == 1
    tokens = set(fake_github.tokens)
    assert not any(token in body or token in reply["body"] for token in tokens)

    # Asked again: the open pull request stands; the other codemods find nothing to change,
    # and nothing is pushed or opened.
    pushes = [path for _, path in fake_github.git_requests if "receive-pack" in path]
    again = comment_payload(fake_github, ledger, "owner", "/evolve", comment_id=502)
    await hooks.github("issue_comment", again)
    await handled(hooks.services, count=2)
    assert len(ledger.pulls) == 1
    second = ledger.comments[-1]["body"]
    assert "Nothing to modernise" in second and f"already open: {pull['html_url']}" in second
    assert [path for _, path in fake_github.git_requests if "receive-pack" in path] == pushes


async def test_a_visitor_cannot_run_evolve(
    hooks: Hooks, fake_github: FakeGitHub, ledger: FakeRepository
) -> None:
    await hooks.github("issue_comment", comment_payload(fake_github, ledger, "visitor", "/evolve"))
    [done] = await handled(hooks.services)

    assert done.payload["outcome"] == "refused"
    [reply] = ledger.comments
    assert "write access" in reply["body"] and "@visitor" in reply["body"]
    assert ledger.pulls == [] and fake_github.git_requests == []


async def test_a_red_suite_gets_no_improvement_and_a_reply_that_says_why(
    hooks: Hooks, fake_github: FakeGitHub, ledger: FakeRepository
) -> None:
    ledger.commit(
        "main",
        {"tests/test_sums.py": "def test_broken():\n    assert False\n"},
        "break the suite",
    )
    await hooks.github("issue_comment", comment_payload(fake_github, ledger, "owner", "/evolve"))
    [done] = await handled(hooks.services)

    assert done.payload["outcome"] == "no_improvement"
    assert ledger.pulls == [] and ledger.branches() == {"main"}
    [reply] = ledger.comments
    assert "not green" in reply["body"] and "1 failed" in reply["body"]


REPORT = 'def line(name, kind):\n    return "%s is %r" % (name, kind)\n'
REPORT_TEST = (
    "from ledger.report import line\n\n\ndef test_line_names_the_kind():\n"
    "    assert line('a', 'b') == \"a is 'b'\"\n"
)


async def test_improvements_stand_alone_within_the_limit_and_a_declined_one_stays_declined(
    hooks: Hooks, fake_github: FakeGitHub, ledger: FakeRepository
) -> None:
    ledger.commit(
        "main",
        {
            "ledger/report.py": REPORT,
            "tests/test_report.py": REPORT_TEST,
            ".github/kintsugi.yml": "max_open_improvements: 1\n",
        },
        "add a report line",
    )
    main = ledger.git("rev-parse", "main").strip()
    await hooks.github("issue_comment", comment_payload(fake_github, ledger, "owner", "/evolve"))
    await handled(hooks.services)
    [first] = ledger.pulls
    assert first["head"]["ref"] == "kintsugi/improve-typing-builtins"

    # At the limit: nothing is cloned, and the reply names the open pull request.
    clones = len(fake_github.git_requests)
    again = comment_payload(fake_github, ledger, "owner", "/evolve", comment_id=502)
    await hooks.github("issue_comment", again)
    await handled(hooks.services, count=2)
    assert len(ledger.pulls) == 1 and len(fake_github.git_requests) == clones
    assert "max_open_improvements: 1" in ledger.comments[-1]["body"]
    assert first["html_url"] in ledger.comments[-1]["body"]

    # The maintainer declines it: the next codemod gets the free place, on main, not on top
    # of the declined branch; the declined one is not proposed again.
    first["state"] = "closed"
    third = comment_payload(fake_github, ledger, "owner", "/evolve", comment_id=503)
    await hooks.github("issue_comment", third)
    await handled(hooks.services, count=3)
    second = ledger.pulls[-1]
    assert len(ledger.pulls) == 2 and second["head"]["ref"] == "kintsugi/improve-percent-fstring"
    branch = second["head"]["ref"]
    assert ledger.git("rev-parse", f"{branch}~1").strip() == main
    assert 'return f"{name} is {kind!r}"' in ledger.git("show", f"{branch}:ledger/report.py")
    assert "from typing import" in ledger.git("show", f"{branch}:ledger/sums.py")
    reply = ledger.comments[-1]["body"]
    assert second["html_url"] in reply and "declined earlier: `typing_builtins`" in reply
