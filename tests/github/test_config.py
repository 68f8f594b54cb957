"""`.github/kintsugi.yml`: defaults, validation naming the key, `_extends`, the owner fallback."""

from __future__ import annotations

from app.github.api import RepoRef
from app.github.config import (
    CONFIG_PATH,
    ReadConfigFile,
    RepoConfig,
    load_repo_config,
    parse_repo_config,
)

REPO = RepoRef("octo", "shop")


def files(**by_repo: str) -> ReadConfigFile:
    async def read(repo: RepoRef) -> str | None:
        return by_repo.get(repo.name.replace(".", "_"))

    return read


async def test_no_config_anywhere_means_defaults_and_not_existing() -> None:
    loaded = await load_repo_config(REPO, files())
    assert loaded.config == RepoConfig()
    assert not loaded.exists and loaded.problem_message() is None
    assert loaded.config.test_command == "python -m pytest -q"


async def test_values_are_read_and_functions_are_parsed() -> None:
    text = """
sources: {sentry: false}
test_command: pytest -x tests
labels: [bot, fix]
max_open_prs: 2
sentry: {project: shop-backend}
functions:
  triage:
    file: ops/triage.py
    command: triage
"""
    loaded = await load_repo_config(REPO, files(shop=text))
    config = loaded.config
    assert loaded.source == f"octo/shop:{CONFIG_PATH}"
    assert config.sources.sentry is False and config.sources.ci is True
    assert config.test_command == "pytest -x tests"
    assert config.labels == ("bot", "fix")
    assert config.sentry.project == "shop-backend"
    assert loaded.functions.functions["triage"].command == "triage"
    assert loaded.problems == []


async def test_a_bad_value_is_named_and_only_that_key_falls_back() -> None:
    loaded = await load_repo_config(
        REPO, files(shop="max_open_prs: lots\nlabels: [x]\ncolour: blue\n")
    )
    assert loaded.config.max_open_prs == 5
    assert loaded.config.labels == ("x",)
    message = loaded.problem_message()
    assert message is not None
    assert "max_open_prs" in message and "colour: is not a known key" in message


async def test_broken_yaml_says_where_and_uses_defaults() -> None:
    loaded = parse_repo_config("labels: [unclosed\n")
    assert loaded.config == RepoConfig()
    assert "not valid YAML (line 2)" in loaded.problems[0]


async def test_owner_dot_github_repository_is_the_fallback() -> None:
    loaded = await load_repo_config(REPO, files(_github="prs_per_hour: 1\n"))
    assert loaded.source == f"octo/.github:{CONFIG_PATH}"
    assert loaded.config.prs_per_hour == 1


async def test_extends_merges_the_base_under_the_repository() -> None:
    base = "labels: [org]\nsources: {ci: false, sentry: false}\n"
    local = "_extends: .github\nsources: {sentry: true}\n"
    loaded = await load_repo_config(REPO, files(shop=local, _github=base))
    assert loaded.config.labels == ("org",)
    assert loaded.config.sources == loaded.config.sources.model_copy(
        update={"ci": False, "sentry": True}
    )


async def test_extends_of_a_missing_repository_is_a_problem_not_a_crash() -> None:
    loaded = await load_repo_config(REPO, files(shop="_extends: octo/nowhere\n"))
    assert "_extends: octo/nowhere has no readable" in loaded.problems[0]


async def test_a_functions_on_key_survives_the_config_parse() -> None:
    from app.github.api import RepoRef
    from app.github.config import load_repo_config

    text = "functions:\n  triage:\n    file: t.py\n    on: [issues.opened]\n"

    async def read(repo: RepoRef) -> str | None:
        return text if repo.name == "ops" else None

    loaded = await load_repo_config(RepoRef("octo", "ops"), read)
    assert loaded.problems == []
    assert loaded.functions.functions["triage"].on == ("issues.opened",)
