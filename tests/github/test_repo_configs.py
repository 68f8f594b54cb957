"""Configs read once per minute per repository, and the automatic sources' restraint."""

from __future__ import annotations

from app.events import Event
from app.github.api import RepoRef
from app.github.client import GitHubApp
from app.github.config import CONFIG_PATH, LoadedConfig, parse_repo_config
from app.github.repo_configs import RepoConfigs, automatic_refusal
from tests.github.conftest import INSTALLATION_ID
from tests.github.fake_github import FakeGitHub, FakeRepository

SHOP = RepoRef("octo", "shop")


async def test_a_config_is_read_once_until_a_push_changes_it(
    fake_github: FakeGitHub, shop: FakeRepository, github_app: GitHubApp
) -> None:
    configs = RepoConfigs(github_app)
    first = await configs.load(INSTALLATION_ID, SHOP)
    await configs.load(INSTALLATION_ID, SHOP)
    assert not first.exists
    # The repository's own file, then the owner's `.github` repository: once each.
    assert len(fake_github.calls("GET", "/contents/.github/kintsugi.yml")) == 2

    shop.commit("main", {CONFIG_PATH: "sources: {ci: false}\n"}, "configure")
    push = {"repository": {"full_name": "octo/shop"}, "commits": [{"added": [CONFIG_PATH]}]}
    await configs.forget_on_push(Event(type="github.push", source="github", payload=push))

    after = await configs.load(INSTALLATION_ID, SHOP)
    assert after.exists and after.config.sources.ci is False


def test_automatic_sources_wait_for_the_config_and_honour_its_switches() -> None:
    assert "no .github/kintsugi.yml" in str(automatic_refusal(LoadedConfig(), "sentry"))
    loaded = parse_repo_config("sources:\n  ci: false\n", "octo/shop:.github/kintsugi.yml")
    assert automatic_refusal(loaded, "sentry") is None
    assert "sources.ci is off" in str(automatic_refusal(loaded, "ci"))
