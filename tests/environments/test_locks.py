"""Lock-file pins: one per package, kept under resolution markers when locked more than once."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.environments.detect import detect_recipe
from app.environments.files import RepositoryFiles
from app.environments.interpreters import Interpreters
from app.environments.locks import lock_pins
from app.environments.recipe import EnvironmentUnavailable
from app.settings import Settings
from tests.environments.conftest import WriteRepo


def test_a_package_locked_per_python_keeps_its_markers(write_repo: WriteRepo) -> None:
    root = write_repo(
        {
            "uv.lock": """
                [[package]]
                name = "NumPy"
                version = "1.24.4"
                source = { registry = "https://pypi.org/simple" }
                resolution-markers = ["python_full_version < '3.9'"]

                [[package]]
                name = "numpy"
                version = "2.1.3"
                source = { registry = "https://pypi.org/simple" }
                resolution-markers = ["python_full_version >= '3.9'"]

                [[package]]
                name = "tzdata"
                version = "2024.1"
                source = { registry = "https://pypi.org/simple" }

                [[package]]
                name = "tzdata"
                version = "2024.2"
                source = { registry = "https://pypi.org/simple" }
            """,
        }
    )

    pins = lock_pins(RepositoryFiles(root), project=None)

    assert pins is not None
    # Two versions without markers cannot both be constraints: that one is left unpinned.
    assert pins.constraints == (
        "numpy==1.24.4; (python_full_version < '3.9')",
        "numpy==2.1.3; (python_full_version >= '3.9')",
    )


def test_uv_lock_wins_over_other_lock_files(write_repo: WriteRepo) -> None:
    root = write_repo(
        {
            "uv.lock": '[[package]]\nname = "a"\nversion = "1"\nsource = { registry = "x" }\n',
            "poetry.lock": '[[package]]\nname = "b"\nversion = "2"\n',
        }
    )

    pins = lock_pins(RepositoryFiles(root), project=None)

    assert pins is not None
    assert (pins.constraints, pins.source.file) == (("a==1",), "uv.lock")


def test_poetry_path_dependency_outside_the_repository_is_refused(
    write_repo: WriteRepo, interpreters: Interpreters
) -> None:
    root = write_repo(
        {
            "pyproject.toml": """
                [tool.poetry]
                name = "p"
                [tool.poetry.group.test.dependencies]
                helper = { path = "../../helper" }
                inside = { path = "libs/inside", develop = true }
            """,
        }
    )

    with pytest.raises(EnvironmentUnavailable, match="outside the repository"):
        detect_recipe(root, interpreters=interpreters)


def test_poetry_path_dependency_inside_is_installed_by_path(
    write_repo: WriteRepo, interpreters: Interpreters
) -> None:
    root = write_repo(
        {
            "pyproject.toml": """
                [tool.poetry]
                name = "p"
                [tool.poetry.group.test.dependencies]
                inside = { path = "libs/inside", develop = true }
            """,
        }
    )

    recipe = detect_recipe(root, interpreters=interpreters)

    assert recipe.steps[0].args == ("./libs/inside",)


def test_extra_interpreter_paths_setting(tmp_path: Path) -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, environment_interpreters="/opt/a/python3.12, /opt/b/python3.9:/opt/c/py"
    )

    assert settings.interpreter_paths == (
        Path("/opt/a/python3.12"),
        Path("/opt/b/python3.9"),
        Path("/opt/c/py"),
    )
