"""Git through gitpython with an installation token: clone into scratch, commit a fix, push.

The token travels only in the environment of the git process (an `http.extraHeader` set via
`GIT_CONFIG_*`), never in a command line, a remote URL, `.git/config` or a message: the
checkout is later copied into the sandbox, and command lines are visible to every process.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import re
from collections.abc import Mapping
from pathlib import Path

from git import Actor, GitCommandError, Repo
from pydantic import SecretStr

from app.errors import PermanentError, TransientError
from app.github.errors import GitHubPermissionError
from app.workspace import write_text

log = logging.getLogger(__name__)

FIX_BRANCH_PREFIX = "kintsugi/"
BOT = Actor("kintsugi[bot]", "kintsugi[bot]@users.noreply.github.com")
_BOT_IDENTITY = {
    "GIT_AUTHOR_NAME": str(BOT.name),
    "GIT_AUTHOR_EMAIL": str(BOT.email),
    "GIT_COMMITTER_NAME": str(BOT.name),
    "GIT_COMMITTER_EMAIL": str(BOT.email),
}


def _environment(token: SecretStr) -> dict[str, str]:
    basic = base64.b64encode(f"x-access-token:{token.get_secret_value()}".encode()).decode()
    return {
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_COUNT": "2",
        "GIT_CONFIG_KEY_0": "http.extraHeader",
        "GIT_CONFIG_VALUE_0": f"Authorization: Basic {basic}",
        "GIT_CONFIG_KEY_1": "credential.helper",
        "GIT_CONFIG_VALUE_1": "",
    }


_HTTP_STATUS = re.compile(r"(?:returned error|http)[: ]+(\d{3})\b")


def _scrubbed(error: GitCommandError, token: SecretStr, what: str) -> Exception:
    secret = token.get_secret_value()
    detail = str(error.stderr or "").replace(secret, "***").strip()[-500:]
    message = f"git could not {what}: {detail or 'exit ' + str(error.status)}"
    lowered = detail.lower()
    # The HTTP status as git reports it; not any digits in the message (a URL's port or a
    # repository's name can hold "500").
    status = _HTTP_STATUS.search(lowered)
    code = int(status.group(1)) if status else None
    if code == 403 or ("permission to" in lowered and "denied" in lowered):
        # The token was accepted but may not write here: the App lacks `contents: write`.
        return GitHubPermissionError(message)
    if code in (500, 502, 503, 504) or any(
        word in lowered for word in ("could not resolve", "timed out")
    ):
        return TransientError(message)
    if code == 401 or "authentication failed" in lowered:
        # Usually an expired token: a retry mints a new one.
        return TransientError(message)
    return PermanentError(message)


class Checkout:
    """A scratch clone of one repository, able to commit and push `kintsugi/*` branches."""

    def __init__(self, repo: Repo, clone_url: str, token: SecretStr) -> None:
        self.repo = repo
        self.clone_url = clone_url
        self._token = token

    @property
    def root(self) -> Path:
        return Path(str(self.repo.working_tree_dir))

    @property
    def head_sha(self) -> str:
        return str(self.repo.head.commit.hexsha)

    @classmethod
    async def clone(
        cls, clone_url: str, token: SecretStr, into: Path, *, branch: str | None = None
    ) -> Checkout:
        options = ["--single-branch", "--no-tags", "--depth=50"]
        if branch:
            options += ["--branch", branch]

        def run() -> Repo:
            return Repo.clone_from(clone_url, into, env=_environment(token), multi_options=options)

        try:
            repo = await asyncio.to_thread(run)
        except GitCommandError as error:
            raise _scrubbed(error, token, f"clone {clone_url}") from None
        log.info("repository cloned", extra={"clone_url": clone_url, "path": str(into)})
        return cls(repo, clone_url, token)

    async def check_out(self, sha: str) -> None:
        """Detach HEAD at `sha`, fetching that commit first when the shallow clone lacks it."""

        def run() -> None:
            try:
                self.repo.git.checkout("--detach", sha)
                return
            except GitCommandError:
                pass
            with self.repo.git.custom_environment(**_environment(self._token)):
                self.repo.git.fetch("--depth=1", self.clone_url, sha)
            self.repo.git.checkout("--detach", sha)

        try:
            await asyncio.to_thread(run)
        except GitCommandError as error:
            raise _scrubbed(error, self._token, f"check out {sha[:12]}") from None

    async def commit_on_branch(self, branch: str, files: Mapping[str, str], message: str) -> str:
        """Write `files` on a fresh `branch` from HEAD and commit them; returns the commit sha."""
        if not branch.startswith(FIX_BRANCH_PREFIX):
            raise PermanentError(f"Kintsugi only commits to {FIX_BRANCH_PREFIX}* branches")

        def run() -> str:
            self.repo.git.checkout("-B", branch)
            for path, text in files.items():
                # Never through a link: one at `path` could name .git/config or a host file.
                write_text(self.root, path, text)
            # git itself, not GitPython's index: IndexFile.add chdirs the whole process into the
            # checkout while it works, which other threads and jobs would see, and a process
            # left in a checkout that is later removed has no working directory at all.
            self.repo.git.add("--", *[str(path) for path in files])
            with self.repo.git.custom_environment(**_BOT_IDENTITY):
                self.repo.git.commit(
                    "-q", "--no-verify", "--no-gpg-sign", "--allow-empty", "-m", message
                )
            return str(self.repo.head.commit.hexsha)

        return await asyncio.to_thread(run)

    async def push(self, branch: str) -> None:
        """Push `branch` (force: Kintsugi owns its `kintsugi/*` branches, and a retried job must
        be able to replace a half-finished attempt)."""
        if not branch.startswith(FIX_BRANCH_PREFIX):
            raise PermanentError(f"Kintsugi only pushes to {FIX_BRANCH_PREFIX}* branches")

        def run() -> None:
            with self.repo.git.custom_environment(**_environment(self._token)):
                self.repo.git.push("--force", self.clone_url, f"HEAD:refs/heads/{branch}")

        try:
            await asyncio.to_thread(run)
        except GitCommandError as error:
            raise _scrubbed(error, self._token, f"push {branch}") from None
        log.info("branch pushed", extra={"branch": branch, "clone_url": self.clone_url})
