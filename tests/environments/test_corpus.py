"""Real projects from the package index (`bench/corpus/environments.toml`): each environment is
found and built from the published source alone, its tests pass unchanged and catch the seeded
bug, and `kintsugi heal` fixes that bug.

Sdists, unpacked sources and environments persist under `cache_root()`, so reruns only reuse."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.cli import main
from app.settings import get_settings
from tests.environments.corpus import CorpusProject, cache_root, checkout, load_manifest

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]

PROJECTS = load_manifest()
HEAL_BUDGET_SECONDS = "120"


def _heal_case(project: CorpusProject) -> object:
    return pytest.param(project, id=project.name)


@pytest.fixture(scope="module")
def corpus_cache(sandbox: object) -> Iterator[Path]:
    """The persistent cache; environments are built in it once and reused by every run."""
    root = cache_root()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ENVIRONMENT_CACHE_DIR", str(root / "environments"))
        patch.setenv("HEALING_BUDGET_SECONDS", HEAL_BUDGET_SECONDS)
        patch.delenv("LLM_MODEL", raising=False)
        get_settings.cache_clear()
        yield root
    get_settings.cache_clear()


def _run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    code = main(argv)
    out = capsys.readouterr().out
    return code, json.loads(out)


def _env(repo: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any]]:
    return _run(["env", str(repo), "--json"], capsys)


def test_the_manifest_covers_the_kinds_of_projects_users_have() -> None:
    assert len(PROJECTS) >= 8
    assert {project.layout for project in PROJECTS} == {"flat", "src"}
    backends = " ".join(project.backend for project in PROJECTS)
    for backend in ("setuptools", "hatchling", "flit_core", "poetry-core", "pdm-backend"):
        assert backend in backends
    features = " ".join(" ".join(project.features) for project in PROJECTS)
    for feature in ("requirements/", "[dependency-groups]", "addopts --cov", "uv.lock"):
        assert feature in features
    assert len({project.name for project in PROJECTS}) == len(PROJECTS)


@pytest.mark.parametrize("project", PROJECTS, ids=lambda project: project.name)
def test_the_environment_is_found_built_and_catches_the_seeded_bug(
    project: CorpusProject,
    corpus_cache: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    pristine = checkout(project, corpus_cache, tmp_path / "pristine", seeded=False)
    code, result = _env(pristine, capsys)
    assert code == 0, result
    recipe = json.dumps(result["recipe"])
    for expected in project.detected:
        assert expected in recipe, f"{expected!r} not in the recipe found: {recipe}"
    assert "project" in [step["kind"] for step in result["recipe"]["steps"]]
    tests = result["tests"]
    assert tests["passed"] > 0 and tests["failed"] == 0 and tests["errors"] == 0, tests

    seeded = checkout(project, corpus_cache, tmp_path / "seeded", seeded=True)
    code, broken = _env(seeded, capsys)
    assert code == 1, broken
    assert broken["tests"]["failed"] + broken["tests"]["errors"] > 0
    # The bug is in code, not in an input of the recipe: the same environment serves it.
    assert broken["environment"]["key"] == result["environment"]["key"]
    assert broken["environment"]["built"] is False


@pytest.mark.parametrize("project", [_heal_case(project) for project in PROJECTS])
def test_heal_fixes_the_seeded_bug(
    project: CorpusProject,
    corpus_cache: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`kintsugi heal PATH` as a user runs it: `--json` and `--apply` only choose the output
    and write the fix; nothing says how to install or test the repository."""
    seeded = checkout(project, corpus_cache, tmp_path / "seeded", seeded=True)
    code, healed = _run(["heal", str(seeded), "--json", "--apply"], capsys)
    assert code == 0, healed
    assert healed["fixed"] is True and healed["applied"] is True
    assert project.bug.file in healed["fix"]["files"]
    code, result = _env(seeded, capsys)
    assert code == 0, result
    assert result["tests"]["failed"] == 0 and result["tests"]["passed"] > 0
