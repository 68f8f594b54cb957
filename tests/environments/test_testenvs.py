"""tox.ini and noxfile.py: the test environment's dependencies and how it calls pytest."""

from __future__ import annotations

from pathlib import Path

from app.environments.detect import detect_recipe
from app.environments.interpreters import Interpreters
from app.environments.recipe import Source
from tests.environments.conftest import WriteRepo


def test_tox_deps_extras_commands_and_setenv(
    write_repo: WriteRepo, interpreters: Interpreters
) -> None:
    root = write_repo(
        {
            "setup.py": "from setuptools import setup\nsetup(name='toxed')\n",
            "requirements-test.txt": "pytest\n",
            "tox.ini": """
                [tox]
                envlist = py{310,311}-tests, lint

                [testenv]
                extras =
                    tests: full
                    lint: lint
                deps =
                    -r{toxinidir}/requirements-test.txt
                    freezegun
                    py38: backports.zoneinfo
                    lint: ruff
                setenv =
                    TZ = UTC
                    COVERAGE_FILE = {envtmpdir}/.coverage
                commands =
                    lint: ruff check .
                    tests: pytest {posargs:tests -x}
            """,
        }
    )

    recipe = detect_recipe(root, interpreters=interpreters)

    assert [(step.kind, step.args) for step in recipe.steps] == [
        ("requirements-file", ("requirements-test.txt",)),
        ("project", ("full",)),
        ("requirements", ("freezegun",)),
    ]
    assert recipe.test_command == "python -m pytest tests -x"
    assert recipe.test_source == Source("tox.ini", "[testenv] commands")
    # A substitution tox would fill in is not guessed at.
    assert recipe.test_env == {"TZ": "UTC"}
    # envlist: the newest the project is tested on.
    assert recipe.python.version == "3.11.7"
    assert str(recipe.python.source).startswith("tox.ini [tox] env_list py311-tests")


def test_tox_command_that_is_not_pytest_leaves_the_default(
    write_repo: WriteRepo, interpreters: Interpreters
) -> None:
    root = write_repo({"tox.ini": "[testenv]\ncommands = {envpython} -m unittest -v\n"})

    recipe = detect_recipe(root, interpreters=interpreters)

    assert recipe.test_command == "python -m pytest"


def test_noxfile_test_session_is_read_without_running_it(
    write_repo: WriteRepo, interpreters: Interpreters, tmp_path: Path
) -> None:
    marker = tmp_path / "ran"
    root = write_repo(
        {
            "pyproject.toml": """
                [build-system]
                requires = ["setuptools"]
                build-backend = "setuptools.build_meta"

                [project]
                name = "noxed"
                version = "1"

                [project.optional-dependencies]
                test = ["pytest"]
                yaml = ["pyyaml"]
            """,
            "requirements/ci.txt": "coverage\n",
            "noxfile.py": f"""
                import pathlib
                import nox

                pathlib.Path({str(marker)!r}).write_text("noxfile.py was executed")

                @nox.session
                def lint(session):
                    session.install("ruff")

                @nox.session(python=["3.11", "3.12"], name="tests")
                def run_tests(session):
                    session.install("-e", ".[test,yaml]")
                    session.install("-r", "requirements/ci.txt", "hypothesis")
                    session.run("pytest", "--timeout=60", *session.posargs)
            """,
        }
    )

    recipe = detect_recipe(root, interpreters=interpreters)

    assert not marker.exists()
    assert [(step.kind, step.args) for step in recipe.steps] == [
        ("project", ("test", "yaml")),
        ("requirements-file", ("requirements/ci.txt",)),
        ("requirements", ("hypothesis",)),
        ("requirements", ("pytest-timeout",)),
    ]
    assert recipe.test_command == "python -m pytest --timeout=60"
    assert recipe.test_source == Source("noxfile.py", "session run_tests: session.run")
    assert str(recipe.steps[3].source) == "noxfile.py session run_tests: session.run --timeout"
