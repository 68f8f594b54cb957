"""The fake GitHub answers every route Kintsugi calls in the shapes githubkit's models (that
is, GitHub's OpenAPI description) define — checked for each answer, through Kintsugi's own calls."""

from __future__ import annotations

import pytest
from githubkit import AppAuthStrategy, GitHub
from githubkit_schemas.latest.models import Integration
from pydantic import SecretStr

from app.github.api import GitHubRepository, RepoRef
from app.github.client import GitHubApp
from app.github.manifest import app_manifest
from app.github.registration import RegisteredApp, convert_manifest_code, set_webhook_secret
from tests.github.fake_github import FakeGitHub, FakeRepository
from tests.github.github_models import RESPONSE_MODELS, shape_errors


async def test_every_route_the_fake_serves_answers_in_githubs_shapes(
    fake_github: FakeGitHub, github_app: GitHubApp, shop: FakeRepository
) -> None:
    api = GitHubRepository(
        await github_app.installation_client(shop.installation_id), RepoRef("octo", "shop")
    )
    assert await api.permission("maintainer") == "maintain"
    details = await api.details()
    assert details.default_branch == "main"
    main = await api.branch_head("main")
    assert main == shop.git("rev-parse", "main").strip()
    assert await api.file_text("shop/orders.py") is not None
    comment = await api.comment(7, "hello")
    await api.react(comment.id, "eyes")
    shop.commit("kintsugi/fix-abc", {"shop/orders.py": "fixed\n"}, "fix")
    pull = await api.create_pull(
        title="Fix", body="why", head="kintsugi/fix-abc", base="main", draft=True
    )
    await api.add_labels(pull.number, ["kintsugi"])
    assert [ref.number for _, ref in await api.open_pulls()] == [pull.number]
    check = await api.create_check_run("verify", pull.head_sha)
    await api.update_check_run(
        check, status="completed", conclusion="success", title="ok", summary="all good"
    )
    issue = await api.create_issue(title="Dashboard", body="cases", labels=["dashboard"])
    await api.update_issue_body(issue.number, "more cases")
    assert [i.body for i in await api.open_issues(label="dashboard")] == ["more cases"]
    # The manifest flow last: the App it registers replaces the fixture's App in the fake.
    registered = await convert_manifest_code(
        fake_github.create_app_from_manifest(app_manifest("https://k.test", "http://127.0.0.1")),
        api_url=fake_github.url,
    )
    await set_webhook_secret(registered, SecretStr("kept"), api_url=fake_github.url)
    assert (await app_identity(registered, fake_github.url)).slug == registered.slug

    answered = [r for r in fake_github.requests if 200 <= r.status < 300]
    assert {(r.method, r.route) for r in answered} == set(RESPONSE_MODELS)
    errors = [e for r in answered for e in shape_errors(r.method, r.route, r.response)]
    assert errors == []


async def app_identity(app: RegisteredApp, api_url: str) -> Integration:
    github = GitHub(AppAuthStrategy(app.id, app.pem.get_secret_value()), base_url=api_url)
    found = (await github.rest.apps.async_get_authenticated()).parsed_data
    assert found is not None
    return found


def test_the_check_catches_an_answer_that_drifted_from_githubs_shape() -> None:
    errors = shape_errors("POST", "/repos/{owner}/{repo}/issues/{number}/comments", {"id": 1})
    assert any("html_url" in error for error in errors)
    assert shape_errors("GET", "/nowhere", {}) == ["no githubkit model known for GET /nowhere"]


@pytest.mark.parametrize("route", sorted(FakeGitHub.REST_ROUTES))
def test_every_served_route_has_a_githubkit_model(route: tuple[str, str]) -> None:
    assert route in RESPONSE_MODELS
