"""Onboarding pull requests: one per repository without a config, never a second one."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from app.environments.config import EnvironmentConfig
from app.events import Event, EventMetadata, EventType, InMemoryEventStore
from app.github.client import GitHubApp
from app.github.config import CONFIG_PATH, RepoConfig, parse_repo_config
from app.github.onboarding import DEFAULT_CONFIG, ONBOARDING_BRANCH, Onboarding
from app.github.repo_configs import RepoConfigs
from tests.conftest import CORPUS
from tests.github.conftest import INSTALLATION_ID, SHOP_FILES
from tests.github.fake_github import FakeGitHub, FakeRepository, bare_repository


def test_the_onboarding_config_is_exactly_the_defaults() -> None:
    loaded = parse_repo_config(DEFAULT_CONFIG)
    assert loaded.problems == []
    assert loaded.config == RepoConfig()
    # Nothing in it overrides the environment detected from the repository's files.
    assert loaded.config.environment_overrides() == EnvironmentConfig()


def installation_created(*repositories: str) -> Event:
    payload: dict[str, Any] = copy.deepcopy(
        json.loads((CORPUS / "github-webhooks/installation/created.payload.json").read_text())
    )
    payload["installation"]["id"] = INSTALLATION_ID
    payload["repositories"] = [
        {"id": i, "name": name.split("/")[1], "full_name": name, "private": False}
        for i, name in enumerate(repositories)
    ]
    return Event(
        type=EventType.GITHUB_INSTALLATION_CREATED,
        source="github",
        payload=payload,
        metadata=EventMetadata(installation_id=INSTALLATION_ID),
    )


async def test_installing_opens_one_onboarding_pull_request_per_unconfigured_repository(
    fake_github: FakeGitHub, shop: FakeRepository, github_app: GitHubApp, tmp_path: Path
) -> None:
    configured = fake_github.add_repository(
        FakeRepository(
            "octo",
            "configured",
            bare_repository(tmp_path, "configured", {**SHOP_FILES, CONFIG_PATH: "labels: []\n"}),
            INSTALLATION_ID,
        )
    )
    store = InMemoryEventStore()
    onboarding = Onboarding(github_app, store, RepoConfigs(github_app))
    event = installation_created("octo/shop", "octo/configured")

    await onboarding(event)
    await onboarding(event)  # the job ran twice

    [pull] = shop.pulls
    assert pull["head"]["ref"] == ONBOARDING_BRANCH and pull["base"]["ref"] == "main"
    assert "Sentry and CI wait for this file" in pull["body"]
    assert shop.git("show", f"{ONBOARDING_BRANCH}:{CONFIG_PATH}") == DEFAULT_CONFIG
    assert configured.pulls == []
    [recorded] = await store.read_all(types=[EventType.ONBOARDING_PR_OPENED])
    assert recorded.payload["pull_url"] == pull["html_url"]
    assert recorded.metadata.causation_id == event.id


async def test_a_closed_onboarding_pull_request_is_never_opened_again(
    fake_github: FakeGitHub, shop: FakeRepository, github_app: GitHubApp
) -> None:
    await Onboarding(github_app, InMemoryEventStore(), RepoConfigs(github_app))(
        installation_created("octo/shop")
    )
    shop.pulls[0]["state"] = "closed"

    # Even with no memory of it in the event log, GitHub's own record is enough.
    await Onboarding(github_app, InMemoryEventStore(), RepoConfigs(github_app))(
        installation_created("octo/shop")
    )

    assert len(shop.pulls) == 1
