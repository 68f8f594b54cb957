"""A repository's `.github/kintsugi.yml`: validated, with defaults, `_extends`, and the owner's
`.github` repository as the fallback (the Probot convention)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.environments.config import EnvironmentConfig
from app.environments.files import RepositoryFiles
from app.github.api import RepoRef
from app.healing.suite import DEFAULT_TEST_COMMAND
from functions.config import RepoFunctions, parse_functions

CONFIG_PATH = ".github/kintsugi.yml"
OWNER_CONFIG_REPOSITORY = ".github"
_MAX_EXTENDS = 3


class Sources(BaseModel):
    """Which inputs may start healing. Commands work at once; Sentry and CI act only on a
    repository whose config file exists (restraint until a maintainer opts in)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sentry: bool = True
    ci: bool = True
    commands: bool = True


class SentryMapping(BaseModel):
    """The Sentry project whose events heal this repository (its slug or numeric id), and,
    where slugs of several Sentry organisations may meet, the organisation's slug."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    project: str | None = None
    organization: str | None = None


class RepoConfig(BaseModel):
    """What a repository asks of Kintsugi."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sources: Sources = Sources()
    test_command: str = Field(default=DEFAULT_TEST_COMMAND, min_length=1)
    ignored_paths: tuple[str, ...] = ()
    labels: tuple[str, ...] = ("kintsugi",)
    max_open_prs: int = Field(default=5, ge=0, le=100)
    prs_per_hour: int = Field(default=3, ge=0, le=100)
    # Improvement pull requests (`/evolve`) open at once; a separate, smaller allowance.
    max_open_improvements: int = Field(default=2, ge=0, le=20)
    # Run in the sandbox before and after a speedup rewrite; without it no speedup is proposed.
    benchmark_command: str | None = Field(default=None, min_length=1)
    draft_below_confidence: float | None = Field(default=None, ge=0, le=1)
    sentry: SentryMapping = SentryMapping()
    # The "Kintsugi dashboard" issue listing open cases and fix pull requests (opt-out).
    dashboard: bool = True
    # Parsed by functions.config, which reports its own problems with line numbers.
    functions: dict[str, Any] = Field(default_factory=dict)
    # How the repository installs and tests, overriding what Kintsugi detects from its files.
    environment: EnvironmentConfig = EnvironmentConfig()

    def environment_overrides(self) -> EnvironmentConfig:
        """The `environment:` section; a top-level `test_command` (its older place) counts
        when the section names none."""
        if self.environment.test_command is None and "test_command" in self.model_fields_set:
            return self.environment.model_copy(update={"test_command": self.test_command})
        return self.environment


@dataclass
class LoadedConfig:
    """The effective config, where it came from, and every problem found on the way."""

    config: RepoConfig = field(default_factory=RepoConfig)
    source: str | None = None  # "owner/repo:.github/kintsugi.yml", None when there is none
    problems: list[str] = field(default_factory=list)
    functions: RepoFunctions = field(default_factory=RepoFunctions)

    @property
    def exists(self) -> bool:
        return self.source is not None

    def problem_message(self) -> str | None:
        """One message for a comment or a check run, or None when the config is fine."""
        if not self.problems:
            return None
        lines = "\n".join(f"- {problem}" for problem in self.problems)
        return (
            f"Kintsugi could not use part of `{self.source or CONFIG_PATH}`; the defaults "
            f"apply instead:\n{lines}"
        )


# Reads `.github/kintsugi.yml` of a repository; None when the file (or repository) is missing.
ReadConfigFile = Callable[[RepoRef], Awaitable[str | None]]


async def load_repo_config(repo: RepoRef, read: ReadConfigFile) -> LoadedConfig:
    """The repository's config, else its owner's `.github` repository's, else the defaults."""
    loaded = LoadedConfig()
    text = await read(repo)
    origin = repo
    if text is None and repo.name != OWNER_CONFIG_REPOSITORY:
        origin = RepoRef(repo.owner, OWNER_CONFIG_REPOSITORY)
        text = await read(origin)
    if text is None:
        return loaded
    loaded.source = f"{origin.full_name}:{CONFIG_PATH}"
    document = _parse_yaml(text, loaded.source, loaded.problems)
    document = await _extend(document, origin, read, loaded.problems, depth=0)
    loaded.config = _validate(document, loaded.source, loaded.problems)
    if loaded.config.functions:
        dumped = yaml.safe_dump({"functions": loaded.config.functions}, sort_keys=False)
        loaded.functions = parse_functions(dumped, loaded.source)
        loaded.problems.extend(str(problem) for problem in loaded.functions.problems)
    return loaded


def parse_repo_config(text: str, source: str = CONFIG_PATH) -> LoadedConfig:
    """Validate config text on its own (no `_extends`): for onboarding and tests."""
    loaded = LoadedConfig(source=source)
    loaded.config = _validate(_parse_yaml(text, source, loaded.problems), source, loaded.problems)
    return loaded


def read_checkout_config(root: Path) -> LoadedConfig:
    """The config file of a local checkout, or the defaults when it has none (no `_extends`:
    a checkout on disk has no owner repository to fall back on)."""
    text = RepositoryFiles(root).read_text(CONFIG_PATH)
    return LoadedConfig() if text is None else parse_repo_config(text, CONFIG_PATH)


class _ConfigLoader(yaml.SafeLoader):
    """YAML 1.2 booleans only: a function's `on:` key must stay the string "on", not True."""


_ConfigLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_ConfigLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)


def _parse_yaml(text: str, source: str, problems: list[str]) -> dict[str, Any]:
    try:
        # A SafeLoader subclass: plain data only, never arbitrary objects.
        document = yaml.load(text, Loader=_ConfigLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" (line {mark.line + 1})" if mark is not None else ""
        problems.append(f"{source}: not valid YAML{where}")
        return {}
    if document is None:
        return {}
    if not isinstance(document, dict):
        problems.append(f"{source}: the file must be a mapping of keys to values")
        return {}
    return {str(key): value for key, value in document.items()}


async def _extend(
    document: dict[str, Any],
    origin: RepoRef,
    read: ReadConfigFile,
    problems: list[str],
    depth: int,
) -> dict[str, Any]:
    target = document.pop("_extends", None)
    if target is None:
        return document
    if not isinstance(target, str) or not target.strip():
        problems.append("_extends: must name a repository, like `.github` or `owner/repo`")
        return document
    if depth >= _MAX_EXTENDS:
        problems.append(f"_extends: more than {_MAX_EXTENDS} levels deep; stopped at {target}")
        return document
    name = target.strip()
    base_ref = RepoRef.parse(name) if "/" in name else RepoRef(origin.owner, name)
    text = await read(base_ref)
    if text is None:
        problems.append(f"_extends: {base_ref.full_name} has no readable {CONFIG_PATH}")
        return document
    base = _parse_yaml(text, f"{base_ref.full_name}:{CONFIG_PATH}", problems)
    base = await _extend(base, base_ref, read, problems, depth + 1)
    return _merge(base, document)


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _validate(document: dict[str, Any], source: str, problems: list[str]) -> RepoConfig:
    """Validate; a wrong key is named once and falls back to its default, the rest still apply."""
    candidate = dict(document)
    for _ in range(len(document) + 1):
        try:
            return RepoConfig.model_validate(candidate)
        except ValidationError as error:
            for detail in error.errors():
                location = ".".join(str(part) for part in detail["loc"]) or "(root)"
                message = (
                    "is not a known key"
                    if detail["type"] == "extra_forbidden"
                    else str(detail["msg"])
                )
                problems.append(f"{source}: {location}: {message}")
                if detail["loc"]:
                    candidate.pop(str(detail["loc"][0]), None)
    return RepoConfig()
