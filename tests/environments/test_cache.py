"""The cache: one build per key, reuse without building, LRU eviction past the cap, clean failures.

The builder here is a stand-in for uv (it writes files of a known size), so these tests are
about the cache's own rules; test_build.py builds real environments.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from app.environments import EnvironmentUnavailable, InstallStep, Source
from app.environments.build import BuiltEnvironment
from app.environments.cache import EnvironmentCache
from app.environments.recipe import Recipe
from tests.environments.conftest import project, recipe, write_tree


class SizedBuilder:
    """Builds an 'environment' of `size` bytes, slowly enough for builders to overlap."""

    index_url = "https://pypi.org/simple"

    def __init__(self, size: int = 1000, *, fail: bool = False) -> None:
        self.size = size
        self.fail = fail
        self.builds: list[str] = []

    async def build(self, recipe: Recipe, repository: Path, scratch: Path) -> BuiltEnvironment:
        self.builds.append(repository.name)
        await asyncio.sleep(0.2)
        if self.fail:
            raise EnvironmentUnavailable("the build failed", output="boom")
        env = scratch / "entry" / "env"
        env.mkdir(parents=True)
        (env / "payload").write_bytes(b"x" * self.size)
        return BuiltEnvironment(root=env, source_roots=("src",), seconds=0.2, output="")


def repository(root: Path, dependency: str = "six") -> Path:
    return write_tree(root, {"pyproject.toml": f'[project]\ndependencies = ["{dependency}"]\n'})


async def test_a_second_request_reuses_the_environment(tmp_path: Path) -> None:
    builder = SizedBuilder()
    cache = EnvironmentCache(tmp_path / "cache", builder, max_bytes=10**6)
    repo = repository(tmp_path / "repo")
    async with cache.provide(recipe(project()), repo) as first:
        assert first.built and (first.root / "payload").exists()
    async with cache.provide(recipe(project()), repo) as second:
        assert not second.built
        assert second.root == first.root and second.source_roots == ("src",)
        assert second.ready_seconds < 0.5
    assert builder.builds == ["repo"]


async def test_the_key_follows_input_content_and_steps_not_other_files(tmp_path: Path) -> None:
    cache = EnvironmentCache(tmp_path / "cache", SizedBuilder(), max_bytes=10**6)
    repo = repository(tmp_path / "repo")
    base = cache.key(recipe(project()), repo)
    (repo / "README.md").write_text("unrelated")
    assert cache.key(recipe(project()), repo) == base
    assert cache.key(recipe(project("test")), repo) != base
    other = repository(tmp_path / "other")  # same content elsewhere: another commit, same key
    assert cache.key(recipe(project()), other) == base
    repository(repo, dependency="iniconfig")
    assert cache.key(recipe(project()), repo) != base


async def test_concurrent_builders_of_one_key_wait_for_one_build(tmp_path: Path) -> None:
    builder = SizedBuilder()
    cache = EnvironmentCache(tmp_path / "cache", builder, max_bytes=10**6)
    repo = repository(tmp_path / "repo")

    async def use() -> bool:
        async with cache.provide(recipe(project()), repo) as environment:
            return environment.built

    built = await asyncio.gather(*(use() for _ in range(4)))
    assert sorted(built) == [False, False, False, True]
    assert builder.builds == ["repo"]


async def test_least_recently_used_entries_go_past_the_cap(tmp_path: Path) -> None:
    cache = EnvironmentCache(tmp_path / "cache", SizedBuilder(1000), max_bytes=2500)
    repos = {name: repository(tmp_path / name, name) for name in ("a", "b", "c")}
    keys = {name: cache.key(recipe(project()), repo) for name, repo in repos.items()}
    for name in ("a", "b"):
        async with cache.provide(recipe(project()), repos[name]):
            pass
    os.utime(cache.root / "envs" / keys["b"] / "entry.json", (1, 1))  # b: longest unused
    async with cache.provide(recipe(project()), repos["a"]):
        pass
    async with cache.provide(recipe(project()), repos["c"]):
        pass
    assert set(cache.entries()) == {keys["a"], keys["c"]}
    assert not (cache.root / "envs" / keys["b"]).exists()


async def test_an_environment_in_use_is_not_evicted(tmp_path: Path) -> None:
    cache = EnvironmentCache(tmp_path / "cache", SizedBuilder(1000), max_bytes=1500)
    a, b = repository(tmp_path / "a", "a"), repository(tmp_path / "b", "b")
    async with cache.provide(recipe(project()), a) as held:
        async with cache.provide(recipe(project()), b):
            pass
        assert (held.root / "payload").exists()
    assert len(cache.entries()) == 2


async def test_a_failed_build_leaves_no_entry_and_no_scratch(tmp_path: Path) -> None:
    cache = EnvironmentCache(tmp_path / "cache", SizedBuilder(fail=True), max_bytes=10**6)
    with pytest.raises(EnvironmentUnavailable, match="the build failed"):
        async with cache.provide(recipe(project()), repository(tmp_path / "repo")):
            pass
    assert cache.entries() == []
    assert list((cache.root / "building").iterdir()) == []


async def test_an_input_outside_the_repository_is_refused(tmp_path: Path) -> None:
    cache = EnvironmentCache(tmp_path / "cache", SizedBuilder(), max_bytes=10**6)
    step = InstallStep("requirements-file", ("../secret.txt",), Source("tox.ini"))
    with pytest.raises(EnvironmentUnavailable, match="outside the repository"):
        cache.key(recipe(step, inputs=("../secret.txt",)), repository(tmp_path / "repo"))
