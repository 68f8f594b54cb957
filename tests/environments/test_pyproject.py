"""pyproject.toml back ends: the project is installed through its backend with its test extras,
dependency groups and Poetry groups are installed beside it."""

from __future__ import annotations

import pytest

from app.environments.detect import detect_recipe
from app.environments.interpreters import Interpreters
from app.environments.recipe import EnvironmentUnavailable, InstallStep, Source
from tests.environments.conftest import WriteRepo


def test_hatch_project_is_built_with_its_tests_extra(
    write_repo: WriteRepo, interpreters: Interpreters
) -> None:
    root = write_repo(
        {
            "pyproject.toml": """
                [build-system]
                requires = ["hatchling"]
                build-backend = "hatchling.build"

                [project]
                name = "tidy"
                version = "1.0"
                requires-python = ">=3.9"
                dependencies = ["attrs>=23"]

                [project.optional-dependencies]
                docs = ["sphinx"]
                tests = ["pytest>=8", "hypothesis"]
            """,
            "src/tidy/__init__.py": "",
        }
    )

    recipe = detect_recipe(root, interpreters=interpreters)

    assert recipe.steps == (
        InstallStep(
            "project",
            ("tests",),
            Source(
                "pyproject.toml",
                "[project.optional-dependencies].tests; built with hatchling.build",
            ),
        ),
    )
    assert recipe.test_command == "python -m pytest"
    assert recipe.inputs == ("pyproject.toml",)
    assert recipe.python.version == "3.13.0"
    assert recipe.python.source == Source("pyproject.toml", "[project].requires-python")


def test_flit_project_without_test_extras_gets_pytest_added(
    write_repo: WriteRepo, interpreters: Interpreters
) -> None:
    root = write_repo(
        {
            "pyproject.toml": """
                [build-system]
                requires = ["flit_core >=3.2,<4"]
                build-backend = "flit_core.buildapi"

                [project]
                name = "flat"
                dynamic = ["version", "description"]
                dependencies = ["requests"]

                [project.optional-dependencies]
                dev = ["black"]
            """,
            "flat.py": "",
        }
    )

    recipe = detect_recipe(root, interpreters=interpreters)

    kinds = [(step.kind, step.args) for step in recipe.steps]
    # No test extra: the dev one stands in for it.
    assert kinds == [("project", ("dev",)), ("requirements", ("pytest",))]
    assert recipe.steps[1].source.detail == "added: the repository does not declare pytest"


def test_test_extras_win_over_dev_extras(write_repo: WriteRepo, interpreters: Interpreters) -> None:
    root = write_repo(
        {
            "pyproject.toml": """
                [build-system]
                requires = ["setuptools>=61"]
                build-backend = "setuptools.build_meta"

                [project]
                name = "both"
                version = "1"

                [project.optional-dependencies]
                dev = ["pre-commit", "both[testing]"]
                testing = ["pytest", "pytest-mock"]
            """,
        }
    )

    recipe = detect_recipe(root, interpreters=interpreters)

    assert [(step.kind, step.args) for step in recipe.steps] == [("project", ("testing",))]


def test_uv_project_installs_its_dependency_groups_with_includes(
    write_repo: WriteRepo, interpreters: Interpreters
) -> None:
    root = write_repo(
        {
            "pyproject.toml": """
                [build-system]
                requires = ["hatchling"]
                build-backend = "hatchling.build"

                [project]
                name = "grouped"
                version = "0.1"
                requires-python = ">=3.11,<3.13"
                dependencies = ["httpx>=0.27"]

                [dependency-groups]
                lint = ["ruff"]
                test = ["pytest>=8", {include-group = "fixtures"}]
                fixtures = ["respx"]
                dev = [{include-group = "test"}, {include-group = "lint"}]
            """,
            "uv.lock": """
                version = 1
                requires-python = ">=3.11, <3.13"

                [[package]]
                name = "grouped"
                version = "0.1"
                source = { editable = "." }

                [[package]]
                name = "httpx"
                version = "0.27.2"
                source = { registry = "https://pypi.org/simple" }

                [[package]]
                name = "pytest"
                version = "8.3.3"
                source = { registry = "https://pypi.org/simple" }

                [[package]]
                name = "somelib"
                version = "1.0"
                source = { git = "https://example.com/somelib.git" }
            """,
        }
    )

    recipe = detect_recipe(root, interpreters=interpreters)

    assert [(step.kind, step.args, step.source.detail) for step in recipe.steps] == [
        ("project", (), "built with hatchling.build"),
        ("requirements", ("pytest>=8", "respx"), "[dependency-groups].test"),
        ("requirements", ("pytest>=8", "respx", "ruff"), "[dependency-groups].dev"),
    ]
    # The project itself and a git dependency are not pinned by version.
    assert recipe.constraints == ("httpx==0.27.2", "pytest==8.3.3")
    assert recipe.constraints_source == Source("uv.lock", "2 pinned packages")
    assert recipe.inputs == ("pyproject.toml", "uv.lock")
    assert recipe.python.version == "3.12.1"


def test_a_dependency_group_cycle_is_named(
    write_repo: WriteRepo, interpreters: Interpreters
) -> None:
    root = write_repo(
        {
            "pyproject.toml": """
                [dependency-groups]
                test = [{include-group = "dev"}]
                dev = [{include-group = "test"}]
            """,
        }
    )

    with pytest.raises(EnvironmentUnavailable, match="cycle: test → dev → test"):
        detect_recipe(root, interpreters=interpreters)


def test_poetry_groups_and_caret_versions(
    write_repo: WriteRepo, interpreters: Interpreters
) -> None:
    root = write_repo(
        {
            "pyproject.toml": """
                [tool.poetry]
                name = "verse"
                version = "0.3.0"
                description = ""
                authors = ["A <a@example.com>"]

                [tool.poetry.dependencies]
                python = "^3.10"
                click = "^8.1"
                rich = { version = "~13.7", optional = true }
                tomli = { version = ">=1.1", python = "<3.11" }

                [tool.poetry.extras]
                fancy = ["rich"]

                [tool.poetry.group.test.dependencies]
                pytest = "^8.0.0"
                pytest-asyncio = "0.23.5"

                [tool.poetry.group.docs]
                optional = true

                [tool.poetry.group.docs.dependencies]
                mkdocs = "*"

                [build-system]
                requires = ["poetry-core>=1.0.0"]
                build-backend = "poetry.core.masonry.api"
            """,
            "poetry.lock": """
                [[package]]
                name = "click"
                version = "8.1.7"
                description = "Composable command line interface toolkit"
                optional = false
                python-versions = ">=3.7"

                [[package]]
                name = "local-helper"
                version = "0.1"
                optional = false
                python-versions = "*"

                [package.source]
                type = "directory"
                url = "../local-helper"
            """,
        }
    )

    recipe = detect_recipe(root, interpreters=interpreters)

    assert [(step.kind, step.args, str(step.source)) for step in recipe.steps] == [
        ("project", (), "pyproject.toml built with poetry.core.masonry.api"),
        (
            "requirements",
            ("pytest>=8.0.0,<9.0.0", "pytest-asyncio==0.23.5"),
            "pyproject.toml [tool.poetry.group.test.dependencies]",
        ),
    ]
    assert recipe.constraints == ("click==8.1.7",)
    assert recipe.python.version == "3.13.0"
    assert str(recipe.python.source) == "pyproject.toml [tool.poetry.dependencies].python"


def test_poetry_without_package_mode_installs_dependencies_only(
    write_repo: WriteRepo, interpreters: Interpreters
) -> None:
    root = write_repo(
        {
            "pyproject.toml": """
                [tool.poetry]
                package-mode = false

                [tool.poetry.dependencies]
                python = ">=3.10,<3.12 || >=3.13"
                django = "~4.2"
                extra-thing = { git = "https://example.com/x.git", tag = "v1" }

                [build-system]
                requires = ["poetry-core"]
                build-backend = "poetry.core.masonry.api"
            """,
        }
    )

    recipe = detect_recipe(root, interpreters=interpreters)

    first = recipe.steps[0]
    assert first.kind == "requirements"
    assert first.args == ("django>=4.2,<4.3", "extra-thing @ git+https://example.com/x.git@v1")
    assert "the project itself is not installed" in first.source.detail
    # `>=3.10,<3.12 || >=3.13`: 3.12 is excluded, 3.13 is the newest allowed.
    assert recipe.python.version == "3.13.0"


def test_pdm_lock_pins_and_src_layout(write_repo: WriteRepo, interpreters: Interpreters) -> None:
    root = write_repo(
        {
            "pyproject.toml": """
                [project]
                name = "pdm-demo"
                version = "0.1.0"
                requires-python = ">=3.10"
                dependencies = ["pyyaml>=6"]

                [project.optional-dependencies]
                test = ["pytest", "pytest-cov"]

                [build-system]
                requires = ["pdm-backend"]
                build-backend = "pdm.backend"

                [tool.pytest.ini_options]
                addopts = "--cov=pdm_demo --cov-report=term-missing"
                testpaths = ["tests"]
            """,
            "pdm.lock": """
                [metadata]
                groups = ["default", "test"]

                [[package]]
                name = "pyyaml"
                version = "6.0.2"

                [[package]]
                name = "pytest-cov"
                version = "5.0.0"

                [[package]]
                name = "pdm-demo"
                version = "0.1.0"
                editable = true
            """,
            "src/pdm_demo/__init__.py": "",
        }
    )

    recipe = detect_recipe(root, interpreters=interpreters)

    # The project step installs the src/ package; pytest-cov is declared, so not added again.
    assert [(step.kind, step.args) for step in recipe.steps] == [("project", ("test",))]
    assert recipe.constraints == ("pytest-cov==5.0.0", "pyyaml==6.0.2")
    assert recipe.constraints_source is not None
    assert recipe.constraints_source.file == "pdm.lock"
    assert recipe.test_source == Source("pyproject.toml", "[tool.pytest.ini_options]")


def test_a_repository_without_packaging_metadata_is_not_installed(
    write_repo: WriteRepo, interpreters: Interpreters
) -> None:
    root = write_repo(
        {
            "pyproject.toml": """
                [tool.black]
                line-length = 100
            """,
            "script.py": "",
        }
    )

    recipe = detect_recipe(root, interpreters=interpreters)

    assert [step.kind for step in recipe.steps] == ["requirements"]
    assert recipe.steps[0].args == ("pytest",)


def test_pep621_project_without_build_system_installs_its_dependencies(
    write_repo: WriteRepo, interpreters: Interpreters
) -> None:
    root = write_repo(
        {
            "pyproject.toml": """
                [project]
                name = "app"
                version = "0"
                dependencies = ["fastapi", "app[extra]"]

                [project.optional-dependencies]
                test = ["pytest"]
            """,
        }
    )

    recipe = detect_recipe(root, interpreters=interpreters)

    # Like uv, nothing builds a project without [build-system]; its own name is not a dependency.
    assert [(step.kind, step.args) for step in recipe.steps] == [
        ("requirements", ("fastapi", "pytest")),
    ]
