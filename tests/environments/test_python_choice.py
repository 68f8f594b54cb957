"""The interpreter: the newest this machine has within what the repository asks for."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from packaging.version import Version

from app.environments.detect import detect_recipe
from app.environments.interpreters import Interpreter, Interpreters
from app.environments.recipe import EnvironmentUnavailable, Source
from tests.environments.conftest import WriteRepo


def test_no_matching_interpreter_names_what_is_needed_and_what_exists(
    write_repo: WriteRepo, interpreters: Interpreters
) -> None:
    root = write_repo({"pyproject.toml": '[project]\nname = "x"\nrequires-python = ">=3.14"\n'})

    with pytest.raises(EnvironmentUnavailable) as refused:
        detect_recipe(root, interpreters=interpreters)

    message = str(refused.value)
    assert "needs Python >=3.14 (pyproject.toml [project].requires-python)" in message
    assert "3.8.18, 3.10.13, 3.11.7, 3.12.1, 3.13.0" in message
    assert "ENVIRONMENT_INTERPRETERS" in message


def test_python_version_file_is_used_when_the_machine_has_it(
    write_repo: WriteRepo, interpreters: Interpreters
) -> None:
    root = write_repo(
        {
            ".python-version": "3.11.4\n",
            "pyproject.toml": '[project]\nname = "x"\nrequires-python = ">=3.10"\n',
        }
    )

    recipe = detect_recipe(root, interpreters=interpreters)

    # 3.11.4 is not here; 3.11.7 is the same minor release.
    assert recipe.python.version == "3.11.7"
    assert recipe.python.source == Source(".python-version", "3.11.4")
    assert recipe.python.executable == Path("/opt/python/3.11.7/bin/python3")


def test_python_version_file_outside_requires_python_yields_to_it(
    write_repo: WriteRepo, interpreters: Interpreters
) -> None:
    root = write_repo(
        {
            ".python-version": "3.9\n",
            "pyproject.toml": '[project]\nname = "x"\nrequires-python = "<3.12"\n',
        }
    )

    recipe = detect_recipe(root, interpreters=interpreters)

    assert recipe.python.version == "3.11.7"
    assert str(recipe.python.source) == "pyproject.toml [project].requires-python"


def test_ci_matrix_bounds_the_choice_within_requires_python(
    write_repo: WriteRepo, interpreters: Interpreters
) -> None:
    root = write_repo(
        {
            "pyproject.toml": '[project]\nname = "x"\nrequires-python = ">=3.8"\n',
            ".github/workflows/lint.yml": """
                jobs:
                  lint:
                    steps:
                      - uses: actions/setup-python@v5
                        with:
                          python-version: "3.13"
            """,
            ".github/workflows/tests.yml": """
                jobs:
                  test:
                    strategy:
                      matrix:
                        python-version:
                          - "3.8"
                          - 3.10
                          - "pypy-3.10"
            """,
        }
    )

    recipe = detect_recipe(root, interpreters=interpreters)

    # Union of workflows: 3.13 is tested (lint), so it is chosen; 3.10 read as text, not 3.1.
    assert recipe.python.version == "3.13.0"
    assert recipe.python.source.file == ".github/workflows/lint.yml"
    assert ".github/workflows/tests.yml" in recipe.inputs


def test_without_any_declaration_the_newest_interpreter_is_chosen(
    write_repo: WriteRepo, interpreters: Interpreters
) -> None:
    recipe = detect_recipe(write_repo({"test_x.py": ""}), interpreters=interpreters)

    assert recipe.python.version == "3.13.0"
    assert "no Python declared" in str(recipe.python.source)


def test_discovery_finds_pyenv_versions_and_extra_paths(tmp_path: Path) -> None:
    pyenv = tmp_path / "pyenv"
    (pyenv / "versions" / "9.9.9" / "bin").mkdir(parents=True)
    # An executable that is not a Python interpreter is skipped, not fatal.
    fake = pyenv / "versions" / "9.9.9" / "bin" / "python3.99"
    fake.write_text("#!/bin/sh\nexit 3\n")
    fake.chmod(0o755)

    found = Interpreters.discover(
        extra=[Path(sys.executable)], pyenv_root=pyenv, system_bin=tmp_path / "none"
    ).available()

    running = Version(".".join(str(part) for part in sys.version_info[:3]))
    assert found == (Interpreter(running, Path(sys.executable)),)


def test_discovery_on_this_machine_includes_the_running_interpreter_version() -> None:
    found = Interpreters.discover().available()

    minors = {(interpreter.version.major, interpreter.version.minor) for interpreter in found}
    assert sys.version_info[:2] in minors
