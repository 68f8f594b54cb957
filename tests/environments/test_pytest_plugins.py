"""pytest and the plugins its configuration needs are installed when the repository does not
declare them."""

from __future__ import annotations

from app.environments.detect import detect_recipe
from app.environments.interpreters import Interpreters
from tests.environments.conftest import WriteRepo


def test_addopts_plugins_are_added_once_each_with_their_option(
    write_repo: WriteRepo, interpreters: Interpreters
) -> None:
    root = write_repo(
        {
            "pyproject.toml": """
                [tool.pytest.ini_options]
                addopts = ["--cov=pkg", "--cov-report=xml", "-n", "4", "--timeout", "10",
                           "--benchmark-skip", "-p", "no:cacheprovider", "-p", "randomly"]
                asyncio_mode = "auto"
                required_plugins = ["pytest-env>=1"]
            """,
        }
    )

    recipe = detect_recipe(root, interpreters=interpreters)

    added = {step.args[0]: step.source.detail for step in recipe.steps}
    assert added == {
        "pytest": "added: the repository does not declare pytest",
        "pytest-cov": "[tool.pytest.ini_options] addopts --cov",
        "pytest-xdist": "[tool.pytest.ini_options] addopts -n",
        "pytest-timeout": "[tool.pytest.ini_options] addopts --timeout",
        "pytest-benchmark": "[tool.pytest.ini_options] addopts --benchmark-skip",
        "pytest-randomly": "[tool.pytest.ini_options] addopts -p randomly",
        "pytest-asyncio": "[tool.pytest.ini_options] asyncio_mode",
        "pytest-env>=1": "[tool.pytest.ini_options] required_plugins",
    }
    assert all(step.kind == "requirements" for step in recipe.steps)


def test_pytest_ini_wins_over_other_files_as_pytest_reads_them(
    write_repo: WriteRepo, interpreters: Interpreters
) -> None:
    root = write_repo(
        {
            "pytest.ini": "[pytest]\naddopts = -q\n",
            "setup.cfg": "[tool:pytest]\naddopts = --cov\n",
            "tox.ini": "[pytest]\naddopts = -nauto\n",
        }
    )

    recipe = detect_recipe(root, interpreters=interpreters)

    assert [step.args for step in recipe.steps] == [("pytest",)]
    assert str(recipe.test_source) == "pytest.ini [pytest]"


def test_declared_plugins_are_not_added_again(
    write_repo: WriteRepo, interpreters: Interpreters
) -> None:
    root = write_repo(
        {
            "requirements-test.txt": "PyTest==8.3.3\npytest_cov\n",
            "tox.ini": "[pytest]\naddopts = --cov=src --no-cov-on-fail\n",
        }
    )

    recipe = detect_recipe(root, interpreters=interpreters)

    assert [step.kind for step in recipe.steps] == ["requirements-file"]
