"""githubkit's response model for each REST route the fake GitHub serves, and a check that an
answer fits it: the fake cannot drift from the shapes GitHub documents."""

from __future__ import annotations

from typing import Any

from githubkit_schemas.latest import models
from pydantic import TypeAdapter, ValidationError

# (method, route template) → the model githubkit parses that answer with.
RESPONSE_MODELS: dict[tuple[str, str], Any] = {
    (
        "POST",
        "/app-manifests/{code}/conversions",
    ): models.AppManifestsCodeConversionsPostResponse201,
    ("GET", "/app"): models.Integration,
    ("PATCH", "/app/hook/config"): models.WebhookConfig,
    ("POST", "/app/installations/{iid}/access_tokens"): models.InstallationToken,
    ("GET", "/repos/{owner}/{repo}"): models.FullRepository,
    ("GET", "/repos/{owner}/{repo}/branches/{branch}"): models.BranchWithProtection,
    (
        "GET",
        "/repos/{owner}/{repo}/collaborators/{user}/permission",
    ): models.RepositoryCollaboratorPermission,
    ("POST", "/repos/{owner}/{repo}/issues/{number}/comments"): models.IssueComment,
    ("POST", "/repos/{owner}/{repo}/issues/comments/{cid}/reactions"): models.Reaction,
    ("POST", "/repos/{owner}/{repo}/issues/{number}/labels"): list[models.Label],
    ("GET", "/repos/{owner}/{repo}/contents/{path}"): models.ContentFile,
    ("GET", "/repos/{owner}/{repo}/pulls"): list[models.PullRequestSimple],
    ("POST", "/repos/{owner}/{repo}/pulls"): models.PullRequest,
    ("POST", "/repos/{owner}/{repo}/check-runs"): models.CheckRun,
    ("PATCH", "/repos/{owner}/{repo}/check-runs/{rid}"): models.CheckRun,
    ("GET", "/repos/{owner}/{repo}/issues"): list[models.Issue],
    ("POST", "/repos/{owner}/{repo}/issues"): models.Issue,
    ("PATCH", "/repos/{owner}/{repo}/issues/{number}"): models.Issue,
}


def shape_errors(method: str, route: str, body: Any) -> list[str]:
    """Where `body`, answered for `method route`, breaks githubkit's model; [] when it fits."""
    model = RESPONSE_MODELS.get((method, route))
    if model is None:
        return [f"no githubkit model known for {method} {route}"]
    try:
        TypeAdapter(model).validate_python(body)
    except ValidationError as error:
        return [
            f"{method} {route}: {'.'.join(str(part) for part in e['loc'])}: {e['msg']}"
            for e in error.errors()
        ]
    return []
