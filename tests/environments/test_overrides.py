"""`.github/kintsugi.yml`'s `environment:` section overrides what detection finds."""

from __future__ import annotations

import pytest

from app.environments.config import EnvironmentConfig, split_test_command
from app.environments.detect import detect_recipe
from app.environments.interpreters import Interpreters
from app.environments.recipe import EnvironmentUnavailable, Source
from app.github.config import parse_repo_config, read_checkout_config
from tests.environments.conftest import WriteRepo

LOCKED = {
    "pyproject.toml": """
        [build-system]
        requires = ["hatchling"]
        build-backend = "hatchling.build"

        [project]
        name = "locked"
        version = "1"
        requires-python = ">=3.8"
    """,
    "uv.lock": """
        [[package]]
        name = "idna"
        version = "3.10"
        source = { registry = "https://pypi.org/simple" }
    """,
}


def test_install_commands_replace_detected_steps_and_pins(
    write_repo: WriteRepo, interpreters: Interpreters
) -> None:
    root = write_repo(
        {
            **LOCKED,
            ".github/kintsugi.yml": """
                environment:
                  python: "3.10"
                  install:
                    - pip install -e ".[all]"
                    - pip install 'pytest<9'
                  test_command: DJANGO_SETTINGS_MODULE=site.settings PYTHONHASHSEED=0 pytest -x t
            """,
        }
    )
    config = read_checkout_config(root).config.environment_overrides()

    recipe = detect_recipe(root, interpreters=interpreters, config=config)

    commands = [(step.kind, step.args, str(step.source)) for step in recipe.steps]
    assert commands[:2] == [
        (
            "command",
            ("pip", "install", "-e", ".[all]"),
            ".github/kintsugi.yml environment.install[0]",
        ),
        ("command", ("pip", "install", "pytest<9"), ".github/kintsugi.yml environment.install[1]"),
    ]
    # pytest is still ensured after the commands (a no-op when they installed it).
    assert [step.args for step in recipe.steps[2:]] == [("pytest",)]
    assert recipe.constraints == ()
    assert recipe.test_command == "pytest -x t"
    assert recipe.test_env == {"DJANGO_SETTINGS_MODULE": "site.settings", "PYTHONHASHSEED": "0"}
    assert recipe.test_source == Source(".github/kintsugi.yml", "environment.test_command")
    assert recipe.python.version == "3.10.13"
    assert ".github/kintsugi.yml" in recipe.inputs


def test_without_overrides_the_lock_pins_apply(
    write_repo: WriteRepo, interpreters: Interpreters
) -> None:
    recipe = detect_recipe(write_repo(LOCKED), interpreters=interpreters)

    assert recipe.constraints == ("idna==3.10",)
    assert ".github/kintsugi.yml" not in recipe.inputs


def test_an_overridden_python_this_machine_lacks_is_an_error(
    write_repo: WriteRepo, interpreters: Interpreters
) -> None:
    with pytest.raises(EnvironmentUnavailable, match=r"needs Python 3\.9 \(\.github/kintsugi\.yml"):
        detect_recipe(
            write_repo(LOCKED), interpreters=interpreters, config=EnvironmentConfig(python="3.9")
        )


def test_the_older_top_level_test_command_still_counts() -> None:
    loaded = parse_repo_config("test_command: env PYTHONPATH=src python -m pytest -q tests\n")

    overrides = loaded.config.environment_overrides()

    assert overrides.test_command == "env PYTHONPATH=src python -m pytest -q tests"
    assert split_test_command(overrides.test_command) == (
        {"PYTHONPATH": "src"},
        "python -m pytest -q tests",
    )


def test_the_section_wins_over_the_top_level_test_command() -> None:
    loaded = parse_repo_config(
        "test_command: pytest\nenvironment:\n  test_command: python -m pytest tests/unit\n"
    )

    assert loaded.config.environment_overrides().test_command == "python -m pytest tests/unit"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("environment:\n  python: 3.10\n", "YAML reads it as the number 3.1"),
        ('environment:\n  install: ["pip install \'unclosed"]\n', "No closing quotation"),
        ("environment:\n  install: ['']\n", "must be a non-empty command line"),
        ("environment:\n  test_command: A=1 B=2\n", "must name a command"),
        ("environment:\n  pyhton: '3.12'\n", "environment.pyhton: is not a known key"),
    ],
)
def test_a_wrong_environment_section_is_named_and_the_defaults_apply(
    text: str, problem: str
) -> None:
    loaded = parse_repo_config(text)

    assert any(problem in message for message in loaded.problems), loaded.problems
    assert loaded.config.environment == EnvironmentConfig()


def test_a_checkout_without_a_config_file_has_the_defaults(write_repo: WriteRepo) -> None:
    loaded = read_checkout_config(write_repo({"setup.py": ""}))

    assert not loaded.exists
    assert loaded.config.environment_overrides() == EnvironmentConfig()
