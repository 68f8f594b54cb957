"""Repository files that try to make detection read outside the repository, or too much."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.environments.detect import detect_recipe
from app.environments.files import RepositoryFiles
from app.environments.interpreters import Interpreters
from app.environments.recipe import EnvironmentUnavailable
from tests.environments.conftest import WriteRepo


def test_a_symlinked_pyproject_leading_outside_is_refused(
    write_repo: WriteRepo, interpreters: Interpreters, tmp_path: Path
) -> None:
    outside = tmp_path / "host-pyproject.toml"
    outside.write_text('[project]\nname = "host"\ndependencies = ["secret"]\n')
    root = write_repo({"test_x.py": ""})
    (root / "pyproject.toml").symlink_to(outside)

    with pytest.raises(EnvironmentUnavailable, match=r"pyproject\.toml is a link leading outside"):
        detect_recipe(root, interpreters=interpreters)


def test_a_symlinked_requirements_folder_leading_outside_is_refused(
    write_repo: WriteRepo, interpreters: Interpreters, tmp_path: Path
) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "test.txt").write_text("pytest\n")
    root = write_repo({"test_x.py": ""})
    (root / "requirements").symlink_to(tmp_path / "etc", target_is_directory=True)

    with pytest.raises(EnvironmentUnavailable, match="requirements is a link leading outside"):
        detect_recipe(root, interpreters=interpreters)


def test_a_link_inside_the_repository_is_read(
    write_repo: WriteRepo, interpreters: Interpreters
) -> None:
    root = write_repo({"ci/requirements-test.txt": "pytest\nfreezegun\n"})
    (root / "requirements-test.txt").symlink_to("ci/requirements-test.txt")

    recipe = detect_recipe(root, interpreters=interpreters)

    assert [step.args for step in recipe.steps] == [("requirements-test.txt",)]
    assert recipe.inputs == ("requirements-test.txt",)


def test_an_oversized_file_is_refused_without_reading_it_all(write_repo: WriteRepo) -> None:
    root = write_repo({"requirements.txt": "x\n" * 600})
    files = RepositoryFiles(root, max_bytes=1000)

    with pytest.raises(EnvironmentUnavailable, match="larger than 1000 bytes"):
        files.read_text("requirements.txt")
    assert files.inputs == ()


def test_a_path_climbing_out_is_refused(write_repo: WriteRepo) -> None:
    files = RepositoryFiles(write_repo({"a.txt": ""}))

    with pytest.raises(EnvironmentUnavailable, match="outside the repository"):
        files.read_text("../a.txt")


def test_invalid_toml_is_named(write_repo: WriteRepo, interpreters: Interpreters) -> None:
    root = write_repo({"pyproject.toml": "[project\nname = 1\n"})

    with pytest.raises(EnvironmentUnavailable, match=r"pyproject\.toml is not valid TOML"):
        detect_recipe(root, interpreters=interpreters)


def test_a_root_that_is_not_a_directory_is_named(tmp_path: Path) -> None:
    with pytest.raises(EnvironmentUnavailable, match="is not a directory"):
        detect_recipe(tmp_path / "missing", interpreters=Interpreters.of(()))
