"""Attack 2: writes through a repository's links. The validator writes the reproduction test
(and each candidate's changes) into its copy, and a fix is committed into the checkout; a link
at the path, or at a folder on the way, must never carry that write onto the host."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from git import Repo
from pydantic import SecretStr

from app.environments.repository_tests import RepositoryTests
from app.errors import PermanentError
from app.github.git import Checkout
from app.healing.reproduce import Reproduction
from app.healing.validate import Validator
from tests.security.conftest import Host, PryingRunner

PYTEST = RepositoryTests.without_environment("pytest")

REGRESSION = "tests/test_regression_0123abcd.py"


def _validator(repo: Path) -> Validator:
    reproduction = Reproduction(REGRESSION, "def test_x():\n    pass\n", f"{REGRESSION}::x", "x()")
    return Validator(PryingRunner(), repo, PYTEST, reproduction=reproduction)


@pytest.fixture
def plain_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "plain"
    (repo / "pkg").mkdir(parents=True)
    (repo / "pkg" / "core.py").write_text("VALUE = 1\n")
    return repo


def test_the_reproduction_is_not_written_through_a_linked_tests_folder(
    plain_repo: Path, host: Host, tmp_path: Path
) -> None:
    os.symlink(host.secret_dir, plain_repo / "tests")

    copy = _validator(plain_repo).workspace(tmp_path / "scratch")

    assert sorted(os.listdir(host.secret_dir)) == ["id_rsa"]
    written = copy / REGRESSION
    assert not (copy / "tests").is_symlink() and not written.is_symlink()
    assert written.read_text() == "def test_x():\n    pass\n"


def test_the_reproduction_does_not_overwrite_the_host_file_its_path_links_to(
    plain_repo: Path, host: Host, tmp_path: Path
) -> None:
    (plain_repo / "tests").mkdir()
    os.symlink(host.secret_file, plain_repo / REGRESSION)
    before = host.secret_file.read_text()

    copy = _validator(plain_repo).workspace(tmp_path / "scratch")

    assert host.secret_file.read_text() == before
    assert (copy / REGRESSION).read_text() == "def test_x():\n    pass\n"


def test_the_reproduction_through_a_link_staying_inside_is_refused_not_followed(
    plain_repo: Path, tmp_path: Path
) -> None:
    (plain_repo / "tests").mkdir()
    os.symlink("../pkg/core.py", plain_repo / REGRESSION)

    with pytest.raises(PermanentError, match="writes never follow links"):
        _validator(plain_repo).workspace(tmp_path / "scratch")


def test_a_candidate_change_is_not_written_through_a_nested_folder_link(
    plain_repo: Path, host: Host, tmp_path: Path
) -> None:
    os.symlink(f"../../{host.root.name}/private", plain_repo / "pkg" / "conf")

    copy = Validator(PryingRunner(), plain_repo, PYTEST).workspace(
        tmp_path / "scratch", {"pkg/conf/authorized_keys": "ssh-ed25519 AAAA attacker\n"}
    )

    assert sorted(os.listdir(host.secret_dir)) == ["id_rsa"]
    assert (copy / "pkg" / "conf" / "authorized_keys").read_text().startswith("ssh-ed25519")


def _checkout(root: Path) -> Checkout:
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    git = ["git", "-C", str(root), "-c", "user.name=T", "-c", "user.email=t@example.test"]
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "initial"], check=True)
    return Checkout(Repo(root), "https://github.test/octo/evil.git", SecretStr("t"))


async def test_a_fix_is_never_committed_through_a_link_into_the_git_metadata(
    plain_repo: Path,
) -> None:
    """`settings.py -> .git/config` stays inside the checkout, but writing through it would let
    the fix text configure git (an `core.fsmonitor` command runs on the next `git add`)."""
    os.symlink(".git/config", plain_repo / "pkg" / "settings.py")
    checkout = _checkout(plain_repo)
    config = (plain_repo / ".git" / "config").read_text()

    with pytest.raises(PermanentError, match="writes never follow links"):
        await checkout.commit_on_branch(
            "kintsugi/fix-1", {"pkg/settings.py": "[core]\n\tfsmonitor = touch pwned\n"}, "fix"
        )

    assert (plain_repo / ".git" / "config").read_text() == config
    assert not (plain_repo / "pwned").exists()
