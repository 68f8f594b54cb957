"""Detection on the packaging files of real published sdists (copied, without their code)."""

from __future__ import annotations

from pathlib import Path

from app.environments.detect import detect_recipe
from app.environments.interpreters import Interpreters

SAMPLES = Path(__file__).parent / "samples"


def steps(name: str, interpreters: Interpreters) -> list[tuple[str, tuple[str, ...], str]]:
    recipe = detect_recipe(SAMPLES / name, interpreters=interpreters)
    return [(step.kind, step.args, str(step.source)) for step in recipe.steps]


def test_requests_setup_py_with_dev_requirements(interpreters: Interpreters) -> None:
    recipe = detect_recipe(SAMPLES / "requests-2.32.3", interpreters=interpreters)

    assert [(step.kind, step.args) for step in recipe.steps] == [
        ("requirements-file", ("requirements-dev.txt",)),
        ("project", ()),
    ]
    # setup.py's python_requires (>=3.8) read statically; pytest-cov comes from the dev file.
    assert str(recipe.python.source) == "setup.py setup(python_requires=...)"
    assert str(recipe.test_source) == "pyproject.toml [tool.pytest.ini_options]"
    assert "setup.py" in recipe.inputs


def test_attrs_hatch_with_tox_test_factor(interpreters: Interpreters) -> None:
    recipe = detect_recipe(SAMPLES / "attrs-24.2.0", interpreters=interpreters)

    assert [(step.kind, step.args) for step in recipe.steps] == [("project", ("tests",))]
    assert "built with hatchling.build" in recipe.steps[0].source.detail
    # `tests: pytest {posargs:-n auto}` in tox.ini; xdist is in the tests extra.
    assert recipe.test_command == "python -m pytest -n auto"
    assert recipe.python.version == "3.13.0"


def test_more_itertools_flit_with_development_requirements(interpreters: Interpreters) -> None:
    recipe = detect_recipe(SAMPLES / "more-itertools-10.5.0", interpreters=interpreters)

    assert [(step.kind, step.args) for step in recipe.steps] == [
        ("requirements-file", ("requirements/development.txt",)),
        ("project", ()),
        ("requirements", ("pytest",)),
    ]
    # Its CI matrix stops at 3.12 although requires-python admits 3.13.
    assert recipe.python.version == "3.12.1"
    assert recipe.python.source.file == ".github/workflows/python-app.yml"


def test_tomlkit_poetry_dev_dependencies(interpreters: Interpreters) -> None:
    found = steps("tomlkit-0.13.2", interpreters)

    assert found[0] == ("project", (), "pyproject.toml built with poetry.core.masonry.api")
    kind, requirements, source = found[1]
    assert (kind, source) == ("requirements", "pyproject.toml [tool.poetry.dev-dependencies]")
    assert "pytest>=7.2.0,<8.0.0" in requirements
    assert len(found) == 2
