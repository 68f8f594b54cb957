"""The JSON bodies the fake GitHub answers with, shaped field for field like GitHub's own
(checked against githubkit's response models by `github_models`)."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime
from typing import Any

WEB = "https://github.test"


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def stable_id(text: str) -> int:
    return zlib.crc32(text.encode()) % 10**7 + 1


def user(api: str, login: str, kind: str = "User") -> dict[str, Any]:
    base = f"{api}/users/{login}"
    return {
        "login": login,
        "id": stable_id(login),
        "node_id": f"U_{stable_id(login)}",
        "avatar_url": f"{WEB}/avatars/{login}",
        "gravatar_id": "",
        "url": base,
        "html_url": f"{WEB}/{login}",
        "followers_url": f"{base}/followers",
        "following_url": f"{base}/following{{/other_user}}",
        "gists_url": f"{base}/gists{{/gist_id}}",
        "starred_url": f"{base}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{base}/subscriptions",
        "organizations_url": f"{base}/orgs",
        "repos_url": f"{base}/repos",
        "events_url": f"{base}/events{{/privacy}}",
        "received_events_url": f"{base}/received_events",
        "type": kind,
        "site_admin": False,
    }


# The hypermedia links of a repository: (field, path below the repository's API URL).
_REPO_LINKS = (
    ("archive_url", "/{archive_format}{/ref}"),
    ("assignees_url", "/assignees{/user}"),
    ("blobs_url", "/git/blobs{/sha}"),
    ("branches_url", "/branches{/branch}"),
    ("collaborators_url", "/collaborators{/collaborator}"),
    ("comments_url", "/comments{/number}"),
    ("commits_url", "/commits{/sha}"),
    ("compare_url", "/compare/{base}...{head}"),
    ("contents_url", "/contents/{+path}"),
    ("contributors_url", "/contributors"),
    ("deployments_url", "/deployments"),
    ("downloads_url", "/downloads"),
    ("events_url", "/events"),
    ("forks_url", "/forks"),
    ("git_commits_url", "/git/commits{/sha}"),
    ("git_refs_url", "/git/refs{/sha}"),
    ("git_tags_url", "/git/tags{/sha}"),
    ("hooks_url", "/hooks"),
    ("issue_comment_url", "/issues/comments{/number}"),
    ("issue_events_url", "/issues/events{/number}"),
    ("issues_url", "/issues{/number}"),
    ("keys_url", "/keys{/key_id}"),
    ("labels_url", "/labels{/name}"),
    ("languages_url", "/languages"),
    ("merges_url", "/merges"),
    ("milestones_url", "/milestones{/number}"),
    ("notifications_url", "/notifications{?since,all,participating}"),
    ("pulls_url", "/pulls{/number}"),
    ("releases_url", "/releases{/id}"),
    ("stargazers_url", "/stargazers"),
    ("statuses_url", "/statuses/{sha}"),
    ("subscribers_url", "/subscribers"),
    ("subscription_url", "/subscription"),
    ("tags_url", "/tags"),
    ("teams_url", "/teams"),
    ("trees_url", "/git/trees{/sha}"),
)


def repository(
    api: str, owner: str, name: str, *, default_branch: str, clone_url: str
) -> dict[str, Any]:
    """A full repository (`GET /repos/{owner}/{repo}`)."""
    full_name = f"{owner}/{name}"
    url = f"{api}/repos/{full_name}"
    stamp = now()
    return {
        "id": stable_id(full_name),
        "node_id": f"R_{stable_id(full_name)}",
        "name": name,
        "full_name": full_name,
        "owner": user(api, owner, "Organization"),
        "private": False,
        "html_url": f"{WEB}/{full_name}",
        "description": None,
        "fork": False,
        "url": url,
        **{field: url + path for field, path in _REPO_LINKS},
        "git_url": f"git://github.test/{full_name}.git",
        "ssh_url": f"git@github.test:{full_name}.git",
        "clone_url": clone_url,
        "svn_url": f"{WEB}/{full_name}",
        "mirror_url": None,
        "homepage": None,
        "language": "Python",
        "forks_count": 0,
        "forks": 0,
        "stargazers_count": 0,
        "watchers_count": 0,
        "watchers": 0,
        "size": 1,
        "default_branch": default_branch,
        "open_issues_count": 0,
        "open_issues": 0,
        "has_issues": True,
        "has_projects": False,
        "has_wiki": False,
        "has_pages": False,
        "has_discussions": False,
        "archived": False,
        "disabled": False,
        "visibility": "public",
        "pushed_at": stamp,
        "created_at": stamp,
        "updated_at": stamp,
        "license": None,
        "subscribers_count": 1,
        "network_count": 0,
    }


def branch(api: str, full_name: str, name: str, sha: str) -> dict[str, Any]:
    """`GET /repos/{owner}/{repo}/branches/{branch}`."""
    url = f"{api}/repos/{full_name}"
    person = {"name": "Dev", "email": "dev@example.test", "date": now()}
    return {
        "name": name,
        "commit": {
            "url": f"{url}/commits/{sha}",
            "sha": sha,
            "node_id": f"C_{sha[:12]}",
            "html_url": f"{WEB}/{full_name}/commit/{sha}",
            "comments_url": f"{url}/commits/{sha}/comments",
            "commit": {
                "url": f"{url}/git/commits/{sha}",
                "author": person,
                "committer": person,
                "message": "commit",
                "comment_count": 0,
                "tree": {"sha": sha, "url": f"{url}/git/trees/{sha}"},
            },
            "author": None,
            "committer": None,
            "parents": [],
        },
        "_links": {"html": f"{WEB}/{full_name}/tree/{name}", "self": f"{url}/branches/{name}"},
        "protected": False,
        "protection": {"enabled": False},
        "protection_url": f"{url}/branches/{name}/protection",
    }


def content_file(api: str, full_name: str, path: str, ref: str, encoded: str) -> dict[str, Any]:
    """`GET /repos/{owner}/{repo}/contents/{path}` for a file."""
    url = f"{api}/repos/{full_name}/contents/{path}?ref={ref}"
    sha = f"{stable_id(full_name + path + encoded):040x}"[-40:]
    html = f"{WEB}/{full_name}/blob/{ref}/{path}"
    git = f"{api}/repos/{full_name}/git/blobs/{sha}"
    return {
        "type": "file",
        "encoding": "base64",
        "size": len(encoded) * 3 // 4,
        "name": path.rsplit("/", 1)[-1],
        "path": path,
        "content": encoded,
        "sha": sha,
        "url": url,
        "git_url": git,
        "html_url": html,
        "download_url": f"https://raw.github.test/{full_name}/{ref}/{path}",
        "_links": {"git": git, "html": html, "self": url},
    }


def collaborator_permission(api: str, login: str, role: str) -> dict[str, Any]:
    """`GET …/collaborators/{user}/permission`: `permission` folds maintain and triage."""
    legacy = {"maintain": "write", "triage": "read"}.get(role, role)
    return {
        "permission": legacy,
        "role_name": role,
        "user": {**user(api, login), "role_name": role},
    }


def issue_comment(
    api: str, full_name: str, number: int, comment_id: int, body: str, author: dict[str, Any]
) -> dict[str, Any]:
    """`POST …/issues/{number}/comments`; `issue_number` is the fake's own bookkeeping."""
    stamp = now()
    return {
        "id": comment_id,
        "node_id": f"IC_{comment_id}",
        "url": f"{api}/repos/{full_name}/issues/comments/{comment_id}",
        "html_url": f"{WEB}/{full_name}/issues/{number}#issuecomment-{comment_id}",
        "issue_url": f"{api}/repos/{full_name}/issues/{number}",
        "body": body,
        "user": author,
        "created_at": stamp,
        "updated_at": stamp,
        "author_association": "NONE",
        "issue_number": number,
    }


def reaction(reaction_id: int, content: str, author: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": reaction_id,
        "node_id": f"REA_{reaction_id}",
        "user": author,
        "content": content,
        "created_at": now(),
    }


def label(api: str, full_name: str, name: str) -> dict[str, Any]:
    return {
        "id": stable_id(full_name + name),
        "node_id": f"LA_{stable_id(full_name + name)}",
        "url": f"{api}/repos/{full_name}/labels/{name}",
        "name": name,
        "description": None,
        "color": "ededed",
        "default": False,
        "archived_at": None,
        "archived_by": None,
    }


def pull_request(
    api: str,
    repo: dict[str, Any],
    number: int,
    *,
    title: str,
    body: str,
    draft: bool,
    head: tuple[str, str],
    base: tuple[str, str],
    author: dict[str, Any],
) -> dict[str, Any]:
    """A pull request as `POST …/pulls` answers it; `head`/`base` are (ref, sha)."""
    full_name = repo["full_name"]
    url = f"{api}/repos/{full_name}/pulls/{number}"
    issue = f"{api}/repos/{full_name}/issues/{number}"
    html = f"{WEB}/{full_name}/pull/{number}"
    owner = repo["owner"]["login"]
    stamp = now()

    def side(ref: str, sha: str) -> dict[str, Any]:
        return {"label": f"{owner}:{ref}", "ref": ref, "sha": sha, "repo": repo, "user": author}

    return {
        "url": url,
        "id": stable_id(f"{full_name}#{number}"),
        "node_id": f"PR_{number}",
        "html_url": html,
        "diff_url": f"{html}.diff",
        "patch_url": f"{html}.patch",
        "issue_url": issue,
        "commits_url": f"{url}/commits",
        "review_comments_url": f"{url}/comments",
        "review_comment_url": f"{api}/repos/{full_name}/pulls/comments{{/number}}",
        "comments_url": f"{issue}/comments",
        "statuses_url": f"{api}/repos/{full_name}/statuses/{head[1]}",
        "number": number,
        "state": "open",
        "locked": False,
        "title": title,
        "user": author,
        "body": body,
        "labels": [],
        "milestone": None,
        "active_lock_reason": None,
        "created_at": stamp,
        "updated_at": stamp,
        "closed_at": None,
        "merged_at": None,
        "merge_commit_sha": None,
        "assignee": None,
        "assignees": [],
        "requested_reviewers": [],
        "requested_teams": [],
        "head": side(*head),
        "base": side(*base),
        "_links": {
            "self": {"href": url},
            "html": {"href": html},
            "issue": {"href": issue},
            "comments": {"href": f"{issue}/comments"},
            "review_comments": {"href": f"{url}/comments"},
            "review_comment": {"href": f"{api}/repos/{full_name}/pulls/comments{{/number}}"},
            "commits": {"href": f"{url}/commits"},
            "statuses": {"href": f"{api}/repos/{full_name}/statuses/{head[1]}"},
        },
        "author_association": "NONE",
        "auto_merge": None,
        "draft": draft,
        "merged": False,
        "mergeable": None,
        "rebaseable": None,
        "mergeable_state": "unknown",
        "merged_by": None,
        "comments": 0,
        "review_comments": 0,
        "maintainer_can_modify": True,
        "commits": 1,
        "additions": 1,
        "deletions": 1,
        "changed_files": 1,
    }


def check_run(
    api: str, full_name: str, run_id: int, app_id: int, request: dict[str, Any]
) -> dict[str, Any]:
    """A check run as `POST …/check-runs` answers the request body `request`."""
    app_owner = user(api, full_name.split("/")[0], "Organization")
    stamp = now()
    return {
        "id": run_id,
        "node_id": f"CR_{run_id}",
        "head_sha": request["head_sha"],
        "external_id": request.get("external_id", ""),
        "url": f"{api}/repos/{full_name}/check-runs/{run_id}",
        "html_url": f"{WEB}/{full_name}/runs/{run_id}",
        "details_url": request.get("details_url"),
        "status": request.get("status", "queued"),
        "conclusion": request.get("conclusion"),
        "started_at": stamp,
        "completed_at": None,
        "output": {
            "title": None,
            "summary": None,
            "text": None,
            "annotations_count": 0,
            "annotations_url": f"{api}/repos/{full_name}/check-runs/{run_id}/annotations",
        },
        "name": request["name"],
        "check_suite": {"id": stable_id(f"{full_name}@{request['head_sha']}")},
        "app": {
            "id": app_id,
            "slug": "kintsugi",
            "node_id": f"A_{app_id}",
            "owner": app_owner,
            "name": "Kintsugi",
            "description": None,
            "external_url": WEB,
            "html_url": f"{WEB}/apps/kintsugi",
            "created_at": stamp,
            "updated_at": stamp,
            "permissions": {"checks": "write", "contents": "write"},
            "events": [],
        },
        "pull_requests": [],
    }


def updated_check_run(run: dict[str, Any], request: dict[str, Any]) -> None:
    """Apply `PATCH …/check-runs/{id}`'s body to `run`, as GitHub does."""
    for key in ("name", "details_url", "external_id", "status", "conclusion"):
        if key in request:
            run[key] = request[key]
    if "conclusion" in request:
        run["status"] = "completed"
    if run["status"] == "completed" and run["completed_at"] is None:
        run["completed_at"] = now()
    output = request.get("output")
    if isinstance(output, dict):
        run["output"].update(
            {key: output.get(key) for key in ("title", "summary", "text") if key in output}
        )


def issue(
    api: str,
    full_name: str,
    number: int,
    *,
    title: str,
    body: str,
    labels: list[dict[str, Any]],
    author: dict[str, Any],
) -> dict[str, Any]:
    """An issue as `POST …/issues` answers it (and `GET …/issues` lists it)."""
    url = f"{api}/repos/{full_name}/issues/{number}"
    stamp = now()
    return {
        "id": stable_id(f"{full_name}!{number}"),
        "node_id": f"I_{number}",
        "url": url,
        "repository_url": f"{api}/repos/{full_name}",
        "labels_url": f"{url}/labels{{/name}}",
        "comments_url": f"{url}/comments",
        "events_url": f"{url}/events",
        "html_url": f"{WEB}/{full_name}/issues/{number}",
        "number": number,
        "state": "open",
        "state_reason": None,
        "title": title,
        "body": body,
        "user": author,
        "labels": labels,
        "assignee": None,
        "assignees": [],
        "milestone": None,
        "locked": False,
        "active_lock_reason": None,
        "comments": 0,
        "closed_at": None,
        "created_at": stamp,
        "updated_at": stamp,
        "closed_by": None,
        "author_association": "NONE",
    }


def github_app(
    api: str,
    app_id: int,
    manifest: dict[str, Any],
    owner: dict[str, Any],
    *,
    web: str = WEB,
) -> dict[str, Any]:
    """`GET /app`: the App as its manifest registered it."""
    slug = "".join(c if c.isalnum() else "-" for c in manifest["name"].lower()).strip("-")
    return {
        "id": app_id,
        "slug": slug,
        "node_id": f"A_{app_id}",
        "client_id": f"Iv1.{app_id:016x}",
        "owner": owner,
        "name": manifest["name"],
        "description": manifest.get("description"),
        "external_url": manifest["url"],
        "html_url": f"{web}/apps/{slug}",
        "created_at": now(),
        "updated_at": now(),
        "permissions": dict(manifest.get("default_permissions", {})),
        "events": list(manifest.get("default_events", [])),
        "installations_count": 0,
    }


def manifest_conversion(
    app: dict[str, Any], *, client_secret: str, webhook_secret: str, pem: str
) -> dict[str, Any]:
    """`POST /app-manifests/{code}/conversions`: the App plus the secrets GitHub shows once."""
    return {**app, "client_secret": client_secret, "webhook_secret": webhook_secret, "pem": pem}


def webhook_config(url: str) -> dict[str, Any]:
    """`PATCH /app/hook/config`: GitHub never echoes the secret back."""
    return {"url": url, "content_type": "json", "secret": "********", "insecure_ssl": "0"}
