"""The REST calls Kintsugi makes on one repository, as a port and its githubkit adapter."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from githubkit import GitHub, Response
from githubkit.exception import RequestFailed

from app.github.errors import translated

Permission = Literal["admin", "maintain", "write", "triage", "read", "none"]
CheckConclusion = Literal[
    "success", "failure", "neutral", "cancelled", "skipped", "action_required"
]
Reaction = Literal["+1", "-1", "laugh", "confused", "heart", "hooray", "rocket", "eyes"]


@dataclass(frozen=True)
class RepoRef:
    """A repository by owner and name."""

    owner: str
    name: str

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"

    @classmethod
    def parse(cls, full_name: str) -> RepoRef:
        owner, _, name = full_name.partition("/")
        if not owner or not name:
            raise ValueError(f"not an owner/name repository: {full_name!r}")
        return cls(owner, name)


@dataclass(frozen=True)
class Comment:
    id: int
    html_url: str


@dataclass(frozen=True)
class PullRequestRef:
    number: int
    html_url: str
    head_sha: str
    state: str = "open"


@dataclass(frozen=True)
class IssueRef:
    """An issue as Kintsugi reads it back: enough to find its own and compare the body."""

    number: int
    html_url: str
    title: str
    body: str
    author: str
    author_is_bot: bool
    state: str = "open"


@dataclass(frozen=True)
class RepositoryDetails:
    """What the installation events do not carry: where to clone from and the default branch."""

    full_name: str
    default_branch: str
    clone_url: str
    archived: bool = False


class RepositoryApi(Protocol):
    """What the features need from GitHub for one repository, through an installation."""

    repo: RepoRef

    async def permission(self, login: str) -> Permission: ...

    async def comment(self, issue_number: int, body: str) -> Comment: ...

    async def react(self, comment_id: int, content: Reaction) -> None: ...

    async def file_text(self, path: str, ref: str | None = None) -> str | None: ...

    async def open_pull(self, branch: str) -> PullRequestRef | None: ...

    async def open_pulls(self) -> list[tuple[str, PullRequestRef]]: ...

    async def pulls_from(self, branch: str) -> list[PullRequestRef]: ...

    async def details(self) -> RepositoryDetails: ...

    async def branch_head(self, branch: str) -> str | None: ...

    async def create_pull(
        self, *, title: str, body: str, head: str, base: str, draft: bool
    ) -> PullRequestRef: ...

    async def add_labels(self, issue_number: int, labels: list[str]) -> None: ...

    async def open_issues(self, *, label: str, creator: str | None = None) -> list[IssueRef]: ...

    async def create_issue(self, *, title: str, body: str, labels: list[str]) -> IssueRef: ...

    async def update_issue_body(self, issue_number: int, body: str) -> None: ...

    async def create_check_run(self, name: str, head_sha: str) -> int: ...

    async def update_check_run(
        self,
        check_run_id: int,
        *,
        status: Literal["in_progress", "completed"],
        conclusion: CheckConclusion | None = None,
        title: str = "",
        summary: str = "",
        details_url: str = "",
    ) -> None: ...


class GitHubRepository:
    """`RepositoryApi` over an installation's githubkit client."""

    def __init__(self, client: GitHub[Any], repo: RepoRef) -> None:
        self._gh = client
        self.repo = repo

    async def permission(self, login: str) -> Permission:
        async with translated(f"read {login}'s permission on {self.repo.full_name}"):
            try:
                response = await self._gh.rest.repos.async_get_collaborator_permission_level(
                    self.repo.owner, self.repo.name, login
                )
            except RequestFailed as error:
                if error.response.status_code == 404:  # not a collaborator at all
                    return "none"
                raise
        body = _body(response)
        # `permission` folds maintain into write and triage into read; role_name keeps them.
        role = str(body.get("role_name") or body.get("permission") or "none")
        if role in ("admin", "maintain", "write", "triage", "read"):
            return role  # type: ignore[return-value]  # narrowed by the membership test above
        return "write" if body.get("permission") in ("admin", "write") else "none"

    async def comment(self, issue_number: int, body: str) -> Comment:
        async with translated(f"comment on {self.repo.full_name}#{issue_number}"):
            response = await self._gh.rest.issues.async_create_comment(
                self.repo.owner, self.repo.name, issue_number, body=body
            )
        data = _body(response)
        return Comment(int(data["id"]), str(data.get("html_url") or ""))

    async def react(self, comment_id: int, content: Reaction) -> None:
        async with translated(f"react to comment {comment_id} on {self.repo.full_name}"):
            await self._gh.rest.reactions.async_create_for_issue_comment(
                self.repo.owner, self.repo.name, comment_id, content=content
            )

    async def file_text(self, path: str, ref: str | None = None) -> str | None:
        async with translated(f"read {path} in {self.repo.full_name}"):
            try:
                if ref is None:
                    response = await self._gh.rest.repos.async_get_content(
                        self.repo.owner, self.repo.name, path
                    )
                else:
                    response = await self._gh.rest.repos.async_get_content(
                        self.repo.owner, self.repo.name, path, ref=ref
                    )
            except RequestFailed as error:
                if error.response.status_code == 404:
                    return None
                raise
        data = _body(response)
        if not isinstance(data, dict) or data.get("type") != "file":
            return None
        content = str(data.get("content") or "")
        return base64.b64decode(content).decode("utf-8", errors="replace")

    async def open_pull(self, branch: str) -> PullRequestRef | None:
        async with translated(f"list pull requests of {self.repo.full_name}"):
            response = await self._gh.rest.pulls.async_list(
                self.repo.owner, self.repo.name, state="open", head=f"{self.repo.owner}:{branch}"
            )
        for pull in _body(response):
            if pull.get("head", {}).get("ref") == branch:
                return _pull_ref(pull)
        return None

    async def open_pulls(self) -> list[tuple[str, PullRequestRef]]:
        """Open pull requests as (head branch, reference), the first hundred."""
        async with translated(f"list pull requests of {self.repo.full_name}"):
            response = await self._gh.rest.pulls.async_list(
                self.repo.owner, self.repo.name, state="open", per_page=100
            )
        return [(str(pull.get("head", {}).get("ref")), _pull_ref(pull)) for pull in _body(response)]

    async def pulls_from(self, branch: str) -> list[PullRequestRef]:
        """Every pull request, open or closed, whose head is `branch` in this repository."""
        async with translated(f"list pull requests of {self.repo.full_name}"):
            response = await self._gh.rest.pulls.async_list(
                self.repo.owner, self.repo.name, state="all", head=f"{self.repo.owner}:{branch}"
            )
        return [
            _pull_ref(pull) for pull in _body(response) if pull.get("head", {}).get("ref") == branch
        ]

    async def details(self) -> RepositoryDetails:
        async with translated(f"read {self.repo.full_name}"):
            response = await self._gh.rest.repos.async_get(self.repo.owner, self.repo.name)
        data = _body(response)
        return RepositoryDetails(
            full_name=str(data.get("full_name") or self.repo.full_name),
            default_branch=str(data.get("default_branch") or "main"),
            clone_url=str(data.get("clone_url") or ""),
            archived=bool(data.get("archived")),
        )

    async def branch_head(self, branch: str) -> str | None:
        """The commit `branch` points at now; None when the branch is gone."""
        async with translated(f"read branch {branch} of {self.repo.full_name}"):
            try:
                response = await self._gh.rest.repos.async_get_branch(
                    self.repo.owner, self.repo.name, branch
                )
            except RequestFailed as error:
                if error.response.status_code == 404:
                    return None
                raise
        commit = _body(response).get("commit")
        sha = commit.get("sha") if isinstance(commit, dict) else None
        return str(sha) if sha else None

    async def create_pull(
        self, *, title: str, body: str, head: str, base: str, draft: bool
    ) -> PullRequestRef:
        async with translated(f"open a pull request on {self.repo.full_name}"):
            response = await self._gh.rest.pulls.async_create(
                self.repo.owner,
                self.repo.name,
                title=title,
                body=body,
                head=head,
                base=base,
                draft=draft,
                maintainer_can_modify=True,
            )
        return _pull_ref(_body(response))

    async def add_labels(self, issue_number: int, labels: list[str]) -> None:
        if not labels:
            return
        async with translated(f"label {self.repo.full_name}#{issue_number}"):
            await self._gh.rest.issues.async_add_labels(
                self.repo.owner, self.repo.name, issue_number, labels=list(labels)
            )

    async def open_issues(self, *, label: str, creator: str | None = None) -> list[IssueRef]:
        """Open issues (not pull requests) carrying `label`, the first hundred, newest first."""
        async with translated(f"list issues of {self.repo.full_name}"):
            if creator is None:
                response = await self._gh.rest.issues.async_list_for_repo(
                    self.repo.owner, self.repo.name, labels=label, state="open", per_page=100
                )
            else:
                response = await self._gh.rest.issues.async_list_for_repo(
                    self.repo.owner,
                    self.repo.name,
                    labels=label,
                    state="open",
                    creator=creator,
                    per_page=100,
                )
        # The issues list includes pull requests, which carry a `pull_request` key.
        return [_issue_ref(item) for item in _body(response) if "pull_request" not in item]

    async def create_issue(self, *, title: str, body: str, labels: list[str]) -> IssueRef:
        async with translated(f"open an issue on {self.repo.full_name}"):
            response = await self._gh.rest.issues.async_create(
                self.repo.owner, self.repo.name, title=title, body=body, labels=list(labels)
            )
        return _issue_ref(_body(response))

    async def update_issue_body(self, issue_number: int, body: str) -> None:
        async with translated(f"update {self.repo.full_name}#{issue_number}"):
            await self._gh.rest.issues.async_update(
                self.repo.owner, self.repo.name, issue_number, body=body
            )

    async def create_check_run(self, name: str, head_sha: str) -> int:
        async with translated(f"create a check run on {self.repo.full_name}"):
            response = await self._gh.arequest(
                "POST",
                f"/repos/{self.repo.owner}/{self.repo.name}/check-runs",
                json={"name": name, "head_sha": head_sha, "status": "queued"},
            )
        return int(_body(response)["id"])

    async def update_check_run(
        self,
        check_run_id: int,
        *,
        status: Literal["in_progress", "completed"],
        conclusion: CheckConclusion | None = None,
        title: str = "",
        summary: str = "",
        details_url: str = "",
    ) -> None:
        body: dict[str, Any] = {"status": status}
        if conclusion is not None:
            body["conclusion"] = conclusion
        if details_url:
            body["details_url"] = details_url
        if title or summary:
            body["output"] = {"title": title or "Kintsugi", "summary": summary[:65_000]}
        async with translated(f"update check run {check_run_id} on {self.repo.full_name}"):
            await self._gh.arequest(
                "PATCH",
                f"/repos/{self.repo.owner}/{self.repo.name}/check-runs/{check_run_id}",
                json=body,
            )


def _body(response: Response[Any, Any]) -> Any:
    # The JSON as GitHub sent it: read defensively rather than through githubkit's models,
    # which are newer than what many GitHub Enterprise versions answer.
    return response.raw_response.json()


def _issue_ref(data: dict[str, Any]) -> IssueRef:
    user = data.get("user")
    author: dict[str, Any] = user if isinstance(user, dict) else {}
    return IssueRef(
        number=int(data["number"]),
        html_url=str(data.get("html_url") or ""),
        title=str(data.get("title") or ""),
        body=str(data.get("body") or ""),
        author=str(author.get("login") or ""),
        author_is_bot=author.get("type") == "Bot",
        state=str(data.get("state") or "open"),
    )


def _pull_ref(data: dict[str, Any]) -> PullRequestRef:
    return PullRequestRef(
        number=int(data["number"]),
        html_url=str(data.get("html_url") or ""),
        head_sha=str(data.get("head", {}).get("sha") or ""),
        state=str(data.get("state") or "open"),
    )
