"""How a repository's tests run in every healing path: the command and the environment, found
from the repository's files (or `.github/kintsugi.yml`) and provided by the cache together."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from app.environments.cache import EnvironmentCache
from app.environments.config import EnvironmentConfig
from app.environments.environment import Environment
from app.environments.recipe import EnvironmentUnavailable


@dataclass(frozen=True)
class RepositoryTests:
    """The test command of one repository and the built environment it runs in.

    `environment` None runs the command on Kintsugi's own interpreter and packages: only for
    callers that have no repository environment by design (the in-process library API, tests
    of healing itself), and only through `without_environment`, so every such place says so.
    """

    command: str
    environment: Environment | None

    @classmethod
    def without_environment(cls, command: str) -> RepositoryTests:
        """`command` on Kintsugi's interpreter, which the sandbox exposes read-only."""
        return cls(command, None)


@contextlib.asynccontextmanager
async def repository_tests(
    environments: EnvironmentCache,
    root: Path,
    *,
    config: EnvironmentConfig | None = None,
    test_command: str | None = None,
) -> AsyncIterator[RepositoryTests]:
    """The tests of the checkout at `root`, their environment built or reused, held until exit.

    `config` is the repository's `environment:` section; `test_command` (a person's explicit
    choice, which may carry `VAR=value` assignments) replaces the one found. Raises
    `EnvironmentUnavailable` with the reason and the build's output when there is none."""
    from app.environments.detect import detect_recipe

    overrides = config or EnvironmentConfig()
    if test_command is not None:
        try:
            overrides = EnvironmentConfig(
                **{**overrides.model_dump(), "test_command": test_command}
            )
        except ValidationError as error:
            problem = "; ".join(str(detail["msg"]) for detail in error.errors())
            raise EnvironmentUnavailable(f"the test command {test_command!r}: {problem}") from error
    recipe = await asyncio.to_thread(detect_recipe, root, config=overrides)
    async with environments.provide(recipe, root) as environment:
        yield RepositoryTests(recipe.test_command, environment)


def checkout_tests(
    environments: EnvironmentCache | None,
    root: Path,
    *,
    config: EnvironmentConfig | None = None,
    test_command: str | None = None,
    own_interpreter_command: str,
) -> AbstractAsyncContextManager[RepositoryTests]:
    """`repository_tests` through `environments`; a process without an environment cache (no
    working sandbox, or a caller that has none by design) runs `own_interpreter_command` on
    Kintsugi's interpreter instead, where the sandboxed runner still refuses or bounds it."""
    if environments is None:
        return contextlib.nullcontext(
            RepositoryTests.without_environment(test_command or own_interpreter_command)
        )
    return repository_tests(environments, root, config=config, test_command=test_command)
