"""Requirements files: the base and test ones are installed, includes stay inside the repository."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.environments.detect import detect_recipe
from app.environments.interpreters import Interpreters
from app.environments.recipe import EnvironmentUnavailable
from tests.environments.conftest import WriteRepo


def test_base_and_test_requirements_with_their_includes(
    write_repo: WriteRepo, interpreters: Interpreters
) -> None:
    root = write_repo(
        {
            "requirements.txt": """
                # runtime
                requests==2.32.3 \\
                    --hash=sha256:70761cfe03c773ceb22aa2f671b4757976145175cdfca038c02654d061d6dcc6
                -c constraints.txt
            """,
            "constraints.txt": "urllib3<3\n",
            "requirements/test.txt": """
                -r ../requirements.txt
                pytest>=8  # the runner
                pytest-xdist
            """,
            "requirements/docs.txt": "sphinx\n",
            "requirements-lint.txt": "ruff\n",
            "pytest.ini": """
                [pytest]
                addopts = -n auto --cov
            """,
        }
    )

    recipe = detect_recipe(root, interpreters=interpreters)

    assert [(step.kind, step.args) for step in recipe.steps] == [
        ("requirements-file", ("requirements.txt",)),
        ("requirements-file", ("requirements/test.txt",)),
        # xdist and pytest come from the test file; only pytest-cov is missing.
        ("requirements", ("pytest-cov",)),
    ]
    assert str(recipe.steps[2].source) == "pytest.ini [pytest] addopts --cov"
    # Every file that decided the recipe, includes too, so the cache key follows them.
    assert recipe.inputs == (
        "constraints.txt",
        "pytest.ini",
        "requirements.txt",
        "requirements/test.txt",
    )


def test_dev_requirements_stand_in_when_none_is_for_tests(
    write_repo: WriteRepo, interpreters: Interpreters
) -> None:
    root = write_repo({"dev-requirements.txt": "pytest\nblack\n", "requirements-docs.txt": "x\n"})

    recipe = detect_recipe(root, interpreters=interpreters)

    assert [(step.kind, step.args) for step in recipe.steps] == [
        ("requirements-file", ("dev-requirements.txt",))
    ]


def test_an_include_outside_the_repository_is_refused(
    write_repo: WriteRepo, interpreters: Interpreters, tmp_path: Path
) -> None:
    (tmp_path / "secret.txt").write_text("leaked\n")
    root = write_repo({"requirements-test.txt": "-r ../secret.txt\npytest\n"})

    with pytest.raises(EnvironmentUnavailable) as refused:
        detect_recipe(root, interpreters=interpreters)

    assert "requirements-test.txt refers to ../secret.txt" in str(refused.value)
    assert "outside the repository" in str(refused.value)


def test_an_include_from_a_url_is_refused(
    write_repo: WriteRepo, interpreters: Interpreters
) -> None:
    root = write_repo({"requirements.txt": "--requirement=https://example.com/r.txt\n"})

    with pytest.raises(EnvironmentUnavailable, match="only files in the repository"):
        detect_recipe(root, interpreters=interpreters)


def test_an_editable_path_outside_the_repository_is_refused(
    write_repo: WriteRepo, interpreters: Interpreters
) -> None:
    root = write_repo({"requirements-dev.txt": "-e ../sibling[test]\n"})

    with pytest.raises(EnvironmentUnavailable, match=r"refers to \.\./sibling"):
        detect_recipe(root, interpreters=interpreters)


def test_a_linked_include_leaving_the_repository_is_refused(
    write_repo: WriteRepo, interpreters: Interpreters, tmp_path: Path
) -> None:
    (tmp_path / "outside.txt").write_text("evil\n")
    root = write_repo({"requirements.txt": "-r shared.txt\n"})
    (root / "shared.txt").symlink_to(tmp_path / "outside.txt")

    with pytest.raises(EnvironmentUnavailable, match="link leading outside the repository"):
        detect_recipe(root, interpreters=interpreters)


def test_a_missing_include_is_named(write_repo: WriteRepo, interpreters: Interpreters) -> None:
    root = write_repo({"requirements.txt": "-r base.txt\n"})

    with pytest.raises(EnvironmentUnavailable, match=r"base\.txt does not exist"):
        detect_recipe(root, interpreters=interpreters)
