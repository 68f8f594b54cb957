"""setup.cfg and setup.py: extras read statically, setup.py never run."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.environments.detect import detect_recipe
from app.environments.interpreters import Interpreters
from app.environments.recipe import EnvironmentUnavailable
from tests.environments.conftest import WriteRepo


def test_setup_cfg_extras_and_python_requires(
    write_repo: WriteRepo, interpreters: Interpreters
) -> None:
    root = write_repo(
        {
            "pyproject.toml": """
                [build-system]
                requires = ["setuptools>=64", "wheel"]
                build-backend = "setuptools.build_meta"
            """,
            "setup.cfg": """
                [metadata]
                name = cfgproj

                [options]
                packages = find:
                python_requires = >=3.8, <3.12
                install_requires =
                    requests>=2
                    click

                [options.extras_require]
                docs = sphinx
                testing =
                    pytest>=7
                    pytest-timeout

                [tool:pytest]
                addopts = --timeout=30 -p xdist
            """,
        }
    )

    recipe = detect_recipe(root, interpreters=interpreters)

    project, xdist = recipe.steps
    assert (project.kind, project.args) == ("project", ("testing",))
    assert str(project.source) == (
        "setup.cfg [options.extras_require].testing; built with setuptools.build_meta"
    )
    # pytest-timeout is declared by the extra; xdist is not, so the -p option brings it.
    assert (xdist.args, str(xdist.source)) == (
        ("pytest-xdist",),
        "setup.cfg [tool:pytest] addopts -p xdist",
    )
    assert recipe.python.version == "3.11.7"
    assert str(recipe.python.source) == "setup.cfg [options].python_requires"
    assert recipe.inputs == ("pyproject.toml", "setup.cfg")


def test_setup_py_extras_are_read_without_running_it(
    write_repo: WriteRepo, interpreters: Interpreters, tmp_path: Path
) -> None:
    marker = tmp_path / "ran"
    root = write_repo(
        {
            "setup.py": f"""
                import pathlib
                from setuptools import setup, find_packages

                pathlib.Path({str(marker)!r}).write_text("setup.py was executed")

                TESTS = ["pytest>=6", "mock"]
                EXTRAS = {{
                    "test": TESTS + ["coverage"],
                    "all": sorted(set(TESTS)),
                }}

                setup(
                    name="legacy",
                    version="1.0",
                    packages=find_packages(),
                    install_requires=["six"],
                    extras_require=EXTRAS,
                    python_requires=">=3.10",
                )
            """,
        }
    )

    recipe = detect_recipe(root, interpreters=interpreters)

    assert not marker.exists()
    assert [(step.kind, step.args) for step in recipe.steps] == [("project", ("test",))]
    assert str(recipe.steps[0].source) == (
        "setup.py setup(extras_require=...).test; built with setuptools (setup.py)"
    )
    assert str(recipe.python.source) == "setup.py setup(python_requires=...)"


def test_setup_py_with_a_syntax_error_is_named(
    write_repo: WriteRepo, interpreters: Interpreters
) -> None:
    root = write_repo({"setup.py": "setup(name='x'\n"})

    with pytest.raises(EnvironmentUnavailable, match=r"setup\.py is not valid Python"):
        detect_recipe(root, interpreters=interpreters)
