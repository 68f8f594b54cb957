"""Clone, commit and push over git's smart HTTP with an installation token, kept secret."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest
from git import GitCommandError
from pydantic import SecretStr

from app.errors import PermanentError, TransientError
from app.github.client import GitHubApp
from app.github.errors import GitHubPermissionError
from app.github.git import Checkout, _scrubbed
from tests.github.fake_github import FakeGitHub, FakeRepository


async def test_fix_branch_is_pushed_with_the_token_which_stays_out_of_the_checkout(
    github_app: GitHubApp,
    fake_github: FakeGitHub,
    shop: FakeRepository,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    token = await github_app.installation_token(shop.installation_id)
    checkout = await Checkout.clone(fake_github.clone_url(shop), token, tmp_path / "work")
    assert (checkout.root / "shop/orders.py").is_file()

    sha = await checkout.commit_on_branch(
        "kintsugi/fix-abc", {"shop/orders.py": "def total(order):\n    return 0\n"}, "Fix it"
    )
    await checkout.push("kintsugi/fix-abc")

    assert "kintsugi/fix-abc" in shop.branches()
    assert shop.git("rev-parse", "kintsugi/fix-abc").strip() == sha
    assert "return 0" in shop.git("show", "kintsugi/fix-abc:shop/orders.py")
    assert {user for user, _ in fake_github.git_requests} == {"x-access-token"}
    secret = token.get_secret_value()
    stored = "".join(
        p.read_text(errors="ignore") for p in (checkout.root / ".git").glob("*") if p.is_file()
    )
    assert secret not in stored
    assert secret not in caplog.text


async def test_committing_never_changes_the_process_working_directory(
    github_app: GitHubApp,
    fake_github: FakeGitHub,
    shop: FakeRepository,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Commits run in worker threads beside other jobs: a chdir would move them all.
    token = await github_app.installation_token(shop.installation_id)
    checkout = await Checkout.clone(fake_github.clone_url(shop), token, tmp_path / "work")
    moves: list[str] = []
    monkeypatch.setattr(os, "chdir", lambda path: moves.append(str(path)))

    sha = await checkout.commit_on_branch("kintsugi/fix-cwd", {"shop/new.py": "x = 1\n"}, "Add")

    assert moves == []
    assert checkout.repo.head.commit.hexsha == sha
    assert checkout.repo.head.commit.author.name == "kintsugi[bot]"
    assert "shop/new.py" in checkout.repo.git.show("--name-only", "--format=", sha)


async def test_wrong_token_fails_without_echoing_it(
    fake_github: FakeGitHub, shop: FakeRepository, tmp_path: Path
) -> None:
    with pytest.raises((TransientError, PermanentError)) as raised:
        await Checkout.clone(
            fake_github.clone_url(shop), SecretStr("ghs_not-a-token"), tmp_path / "work"
        )
    assert "ghs_not-a-token" not in str(raised.value)


async def test_only_kintsugi_branches_are_written(
    github_app: GitHubApp, fake_github: FakeGitHub, shop: FakeRepository, tmp_path: Path
) -> None:
    token = await github_app.installation_token(shop.installation_id)
    checkout = await Checkout.clone(fake_github.clone_url(shop), token, tmp_path / "work")
    with pytest.raises(PermanentError, match="kintsugi/"):
        await checkout.commit_on_branch("main", {"x.py": ""}, "no")
    with pytest.raises(PermanentError, match="kintsugi/"):
        await checkout.push("main")


@pytest.mark.parametrize(
    ("stderr", "kind"),
    [
        # A port (or a repository name) holding "500" is no server error.
        (
            "fatal: unable to access 'http://127.0.0.1:45003/o/r.git/': "
            "The requested URL returned error: 403",
            GitHubPermissionError,
        ),
        ("remote: Permission to o/r.git denied to kintsugi[bot].", GitHubPermissionError),
        (
            "fatal: unable to access 'http://host:5000/o/r.git/': "
            "The requested URL returned error: 502",
            TransientError,
        ),
        (
            "error: RPC failed; HTTP 500 curl 22 The requested URL returned error: 500",
            TransientError,
        ),
        ("fatal: Authentication failed for 'https://github.com/o/r.git/'", TransientError),
        ("fatal: could not resolve host: github.com", TransientError),
        ("error: src refspec kintsugi/fix-500 does not match any", PermanentError),
    ],
)
def test_git_failures_are_told_apart_by_their_http_status_not_any_digits(
    stderr: str, kind: type[Exception]
) -> None:
    error = GitCommandError(["git", "push"], 128, stderr=stderr)

    scrubbed = _scrubbed(error, SecretStr("ghs_secret"), "push kintsugi/fix-500")

    assert type(scrubbed) is kind
