"""The warm worker and its sessions on the oldest interpreters and pytest releases they are
written for: the same verdicts as the cold runs, every candidate forked from a session."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.environments.build import EnvironmentBuilder
from app.environments.cache import EnvironmentCache
from app.environments.interpreters import Interpreters, wanted_from_specifier
from app.environments.recipe import InstallStep, Recipe, Source
from app.healing.runner import SandboxCommandRunner
from functions.sandbox import Sandbox
from tests.environments.conftest import PYPI
from tests.healing.warm.test_warm_validation import (
    GEOMETRY_FIXED,
    candidate,
    geometry,
    opened,
    shapes_repo,
)

pytestmark = [pytest.mark.sandbox, pytest.mark.slow]


@pytest.mark.parametrize(("python", "pin"), [("3.6", "pytest==6.1.2"), ("3.8", "pytest==7.0.1")])
async def test_sessions_serve_an_older_python_and_pytest(
    python: str, pin: str, tmp_path: Path
) -> None:
    source = Source("test")
    chosen = Interpreters.discover().choose(wanted_from_specifier(python, source))
    assert chosen is not None, f"Python {python} must be installed (pyenv) for this test"
    recipe = Recipe(chosen, (InstallStep("requirements", (pin,), source),), "pytest -q", source)
    sandbox = Sandbox(allow_degraded=False)
    cache = EnvironmentCache(
        tmp_path / "cache", EnvironmentBuilder(sandbox, PYPI), max_bytes=1024 * 1024 * 1024
    )
    root = shapes_repo(tmp_path / "repo")
    runner = SandboxCommandRunner(sandbox)
    async with cache.provide(recipe, root) as environment:
        validator, baseline, targets = await opened(
            runner, root, "python -m pytest -q", environment=environment
        )
        try:
            texts = [geometry("0"), geometry(perimeter="width + height"), geometry()]
            verdicts = [
                await validator.validate(candidate({GEOMETRY_FIXED: text}), targets, baseline, 60)
                for text in texts
            ]
            cold = [
                await validator.validate_cold(
                    candidate({GEOMETRY_FIXED: text}), targets, baseline, 60
                )
                for text in texts
            ]
        finally:
            await validator.close()
    assert targets == {"tests/test_geometry.py::test_area"}
    assert [v.accepted for v in verdicts] == [v.accepted for v in cold] == [False, False, True]
    assert verdicts[1].reason == "1 test(s) regressed: tests/test_geometry.py::test_perimeter"
    assert [v.validation for v in verdicts] == ["warm", "warm", "warm, confirmed cold"]
    assert validator.warm is not None and validator.warm.session_runs == 3
